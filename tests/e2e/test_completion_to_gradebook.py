"""The whole story over real HTTP: a learner from Grenada completes a module in the demo LMS, the grade
lands in its gradebook with the country in the comment, the facilitator and the admin see it."""
from __future__ import annotations

import csv
import io
import re

import requests
from flask import Flask
from sqlalchemy import select

from e2e_support import browse_launch, drain, learner_from
from learner_helpers import submit_quiz
from lti_tool.admin.reports import completion_report
from lti_tool.courses.models import Participant
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from lti_tool.runtime import runtime

LEARNER_GD, FACILITATOR, ADMIN = "5", "3", "2"


def test_completion_reaches_the_gradebook_and_the_reports(app: Flask, demo_lms, tool_server) -> None:
    lms = demo_lms.lms
    placement = lms.add_placement("m13", "Module 13 — Trafficking (e2e)")
    page = browse_launch(demo_lms, LEARNER_GD, placement.id)
    assert page.status_code == 200
    learner = learner_from(page, tool_server.url)
    with app.app_context():
        module = runtime(app).catalogue.get("m13")
        pages, _ = module.pages("en")
    learner.read_all([p.id for p in pages], "m13")
    result = submit_quiz(learner, app, "m13", correct=True)
    assert result.status_code in (200, 303), result.text[:500]

    drain(app)
    with lms.state.lock:
        item = lms.state.placements[placement.id].line_item_id
        record = lms.state.scores[(item, LEARNER_GD)]
    sent = record.received
    assert sent["activityProgress"] == "Completed" and sent["gradingProgress"] == "FullyGraded"
    assert sent["scoreGiven"] == sent["scoreMaximum"]
    assert sent["comment"] == (f"m13 Trafficking in Persons and Migrant Smuggling — completed, "
                               f"{sent['scoreGiven']}/{sent['scoreMaximum']} (100%), passed — Grenada (GD)")
    gradebook = requests.get(demo_lms.url + "/gradebook", timeout=10).text
    assert "Trafficking in Persons and Migrant Smuggling — completed" in gradebook

    # the facilitator's dashboard for the course
    facilitator = browse_launch(demo_lms, FACILITATOR, placement.id)
    assert facilitator.url.endswith("/facilitator/m/m13/")  # the facilitator lands on the module's class
    assert re.search(r'Marcus Charles</a></th>\s*<td><span class="st st-completed">completed \(100%\)</span>',
                     facilitator.text)
    base = "/".join(facilitator.url.split("/")[:5])
    board = requests.get(base + "/facilitator/", timeout=10)
    assert board.status_code == 200
    assert "Marcus Charles" in board.text and "Grenada (GD)" in board.text
    assert re.search(r'<td class="st-completed">done 100%</td>', board.text)
    export = requests.get(base + "/facilitator/export.csv", timeout=10)
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    mine = [r for r in rows if r["name"] == "Marcus Charles" and r["module"] == "m13"]
    assert mine and mine[0]["status"] == "completed" and mine[0]["country"] == "GD"
    assert mine[0]["grade_delivery"] == "delivered"
    questions = requests.get(base + "/facilitator/questions/m13", timeout=10)
    assert questions.status_code == 200 and "0% (0/1)" in questions.text

    # the admin's completion report by country, across the LMS's courses
    admin = browse_launch(demo_lms, ADMIN, placement.id)
    admin_base = "/".join(admin.url.split("/")[:5])
    report = requests.get(admin_base + "/admin/", timeout=10)
    assert report.status_code == 200
    with app.app_context():  # other tests share the demo LMS: the row must show what the report counts
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == demo_lms.url))
        marcus = db.session.scalar(select(Participant.id).where(
            Participant.platform_id == platform_id, Participant.sub == LEARNER_GD))
        gd = next(line for line in completion_report([platform_id]).lines if line.key == "GD")
    assert marcus in gd.people and gd.completed >= 1
    assert re.search(rf'Grenada \(GD\)</th>\s*<td class="num">{gd.learners}</td><td class="num">{gd.results}</td>'
                     rf'<td class="num">{gd.completed}</td>', report.text)
    # and the learner may not see either
    assert requests.get(learner.base + "/facilitator/", timeout=10).status_code == 403
    assert requests.get(learner.base + "/admin/", timeout=10).status_code == 403
