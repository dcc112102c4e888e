"""The admin's completion report across the courses of an LMS (each person counted once, dates,
countries, modules, agencies), and `emm-lti report`, which prints the same."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from openpyxl import load_workbook
from sqlalchemy import select

from facilitator_support import learner, participant_id, row_of, submit_quiz, text
from learner_helpers import complete_module
from lti_tool.cli import main
from lti_tool.courses.models import Completion
from lti_tool.extensions import db
from lti_tool.progress.models import Progress
from lti_tool.runtime import runtime
from security_support import ADMIN, CONTEXT, ROLES

SECOND_COURSE = {CONTEXT: {"id": "c-102", "label": "TRAIN102", "title": "Training 102", "type": ["CourseSection"]}}


def complete(app: Flask, person, module: str = "m01") -> None:
    assert complete_module(person, app, module).status_code == 303


def backdate(app: Flask, pid: int, when: datetime) -> None:
    with app.app_context():
        for progress in db.session.scalars(select(Progress).where(Progress.participant_id == pid)):
            progress.started_at = when
        for completion in db.session.scalars(select(Completion).where(Completion.participant_id == pid)):
            completion.completed_at = when
        db.session.commit()


@pytest.fixture
def cohort(app: Flask, launcher):
    """Nia took m01 in two courses (completed in the second); Omar failed m01; Pia completed m01 in
    January 2026. Agencies come from the LMS."""
    nia = learner(launcher, "R-NIA", "Nia Twice", country="AG", agency="Immigration Department")
    nia.get(f"/m/m01/p/{runtime(app).catalogue.get('m01').pages('en')[0][0].id}")
    complete(app, learner(launcher, "R-NIA", "Nia Twice", country="AG", agency="Immigration Department",
                          **SECOND_COURSE))
    submit_quiz(learner(launcher, "R-OMAR", "Omar Fail", country="GD", agency="Ministry of Labour"), app,
                correct=False)
    complete(app, learner(launcher, "R-PIA", "Pia Early", country="GD", agency="Ministry of Labour"))
    backdate(app, participant_id(app, launcher, "R-PIA"), datetime(2026, 1, 15, 12, tzinfo=timezone.utc))
    return learner(launcher, "R-ADMIN", "Ada Admin", **{ROLES: ADMIN})


def test_the_report_counts_each_person_once(cohort) -> None:
    page = cohort.get("/admin/")
    assert page.status_code == 200
    lines = page.text.split('id="lines"')[1].split("</table>")[0]
    assert row_of(lines, "Antigua and Barbuda (AG)") == "Antigua and Barbuda (AG) 1 1 1 100% 1 1 100%"
    assert row_of(lines, "Grenada (GD)") == "Grenada (GD) 2 2 1 50% 2 1 50%"
    assert row_of(lines, "Saint Vincent and the Grenadines (VC)") == "Saint Vincent and the Grenadines (VC) 0 0 0 — 0 0 —"
    assert row_of(lines, "All (each person once)") == "All (each person once) 3 3 2 67% 3 2 67%"
    assert "2 courses 3 people 2 module completions" in text(page.text)
    matrix = page.text.split('id="matrix"')[1].split("</table>")[0]
    assert "The Global Context of Migration" in matrix and "1 / 2" in row_of(matrix, "Grenada (GD)")


def test_a_date_range_keeps_a_quarter(cohort) -> None:
    first = cohort.get("/admin/?since=2026-01-01&until=2026-03-31").text
    lines = first.split('id="lines"')[1].split("</table>")[0]
    assert row_of(lines, "Grenada (GD)") == "Grenada (GD) 1 1 1 100% 1 1 100%"
    assert row_of(lines, "Antigua and Barbuda (AG)") == "Antigua and Barbuda (AG) 0 0 0 — 0 0 —"
    later = cohort.get("/admin/?since=2026-04-01").text.split('id="lines"')[1].split("</table>")[0]
    assert row_of(later, "Grenada (GD)") == "Grenada (GD) 1 1 0 0% 1 0 0%"


def test_by_module_and_by_agency(cohort) -> None:
    modules = cohort.get("/admin/?by=module").text.split('id="lines"')[1].split("</table>")[0]
    assert row_of(modules, "The Global Context of Migration") == "The Global Context of Migration 3 3 2 67% 3 2 67%"
    agencies = cohort.get("/admin/?by=agency").text.split('id="lines"')[1].split("</table>")[0]
    assert row_of(agencies, "Ministry of Labour") == "Ministry of Labour 2 2 1 50% 2 1 50%"
    assert row_of(agencies, "Immigration Department") == "Immigration Department 1 1 1 100% 1 1 100%"
    sheet = load_workbook(io.BytesIO(cohort.get("/admin/report.xlsx?by=agency").content))
    assert sheet.sheetnames == ["Report", "Country x module", "Completions"]


@pytest.mark.parametrize(("query", "phrase"), [
    ("by=colour", "The report can be by country, module, agency or language"),
    ("since=yesterday", "since: &#39;yesterday&#39; is not a date (YYYY-MM-DD)."),
    ("since=2026-05-01&until=2026-04-01", "The start date is after the end date."),
])
def test_bad_report_queries_are_refused(cohort, query: str, phrase: str) -> None:
    refused = cohort.get(f"/admin/?{query}")
    assert refused.status_code == 400 and phrase in refused.text


def test_the_command_line_prints_the_same(app: Flask, cohort, launcher, tmp_path) -> None:
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, ["report", *args], obj=ScriptInfo(create_app=lambda: app))

    issuer = launcher.platform.issuer
    as_json = run("--by", "country", "--format", "json", "--platform", issuer)
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    gd = next(line for line in data["lines"] if line["key"] == "GD")
    assert (gd["name"], gd["learners"], gd["completed"], gd["pass_rate"]) == ("Grenada", 2, 1, 50)
    assert data["totals"]["learners"] == 3
    as_csv = run("--by", "module", "--platform", issuer, "--since", "2026-01-01", "--until", "2026-03-31")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout_bytes.decode("utf-8-sig"))))
    assert [(r["module"], r["module_title"], r["completed"]) for r in rows] == [
        ("m01", "The Global Context of Migration", "1")]
    out = tmp_path / "report.xlsx"
    assert run("--by", "agency", "--format", "xlsx", "--platform", issuer, "--output", str(out)).exit_code == 0
    assert load_workbook(out)["Report"]["A1"].value == "agency"


@pytest.mark.parametrize(("args", "phrase"), [
    (["--since", "2026-13-01"], "--since: '2026-13-01' is not a date"),
    (["--since", "2026-05-01", "--until", "2026-04-01"], "--since 2026-05-01 is after --until 2026-04-01"),
    (["--platform", "https://nobody.example"], "--platform: no LMS is registered with issuer"),
    (["--by", "colour"], "'colour' is not one of 'country', 'module', 'agency', 'language'"),
])
def test_bad_report_arguments_exit_2(app: Flask, args: list[str], phrase: str) -> None:
    result = CliRunner().invoke(main, ["report", *args], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2 and phrase in result.output
