"""Names people use: courses by the LMS's label and title (pages and `grades status`), module titles
rather than codes, and times in the person's time zone, with the zone said."""
from __future__ import annotations

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from facilitator_support import CUSTOM, facilitator, learner, submit_quiz, text
from lti_tool.cli import main
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from security_support import AGS, SCORE_SCOPE


def test_grades_status_names_the_course_by_its_label(app: Flask, launcher, services) -> None:
    ags = {AGS: {"scope": [SCORE_SCOPE], "lineitems": services.base + "/lineitems", "lineitem": services.lineitem}}
    submit_quiz(learner(launcher, "N-1", "Nora Named", country="GD", **ags), app, correct=True)
    with app.app_context():  # every test platform has a TRAIN101: name this one's by the tool's id
        course_id = db.session.scalar(select(Course.id).join(Platform).where(Platform.issuer == launcher.platform.issuer))
    result = CliRunner().invoke(main, ["grades", "status", "--course", str(course_id)],
                                obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "Nora Named" in line)
    assert "m01 in TRAIN101 “Training 101”" in line and "in course " not in line


def test_staff_pages_name_the_course_and_the_modules(launcher) -> None:
    learner(launcher, "N-2", "Olu Learner", country="AG")
    overview = text(facilitator(launcher).get("/facilitator/").text)
    assert "TRAIN101 · Training 101" in overview
    assert "The Global Context of Migration" in overview


def test_times_are_shown_in_the_persons_zone_with_its_name(launcher) -> None:
    learner(launcher, "N-3", "Pat Timed", country="VC")
    custom = {"module": "m01", "person_timezone": "Asia/Kolkata"}
    in_kolkata = text(facilitator(launcher, **{CUSTOM: custom}).get("/facilitator/m/m01/").text)
    assert "Times are shown in India Time (GMT+05:30)." in in_kolkata
    moodle_default = {"module": "m01", "person_timezone": "99"}  # Moodle: "the site's zone", unknown to us
    default = text(facilitator(launcher, sub="FAC-2", **{CUSTOM: moodle_default}).get("/facilitator/m/m01/").text)
    assert "Times are shown in Atlantic Time (GMT-04:00)." in default  # EMM_DISPLAY_TIMEZONE: America/St_Vincent
