"""A facilitator who opens an activity lands on that module's class: everyone on the LMS roster and
everyone who launched, each with a status in words, score, country, agency and last activity."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import requests
from flask import Flask
from sqlalchemy import select, update

from facilitator_support import NRPS, csrf, facilitator, learner, participant_id, row_of, submit_quiz, text
from lti_tool.extensions import db
from lti_tool.grades.models import DeliveryStatus, GradeDelivery
from lti_tool.runtime import runtime
from security_support import AGS, SCORE_SCOPE

ROSTER_ONLY = {"user_id": "R-1", "name": "Gail Roster", "roles": ["Learner"], "status": "Active"}


def pages(app: Flask, module: str = "m01") -> list[str]:
    with app.app_context():
        return [p.id for p in runtime(app).catalogue.get(module).pages("en")[0]]


def roster(services, *members: dict) -> dict:
    services.members = [dict(m) for m in members]
    return {NRPS: {"context_memberships_url": services.memberships, "service_versions": ["2.0"]}}


def test_the_facilitator_lands_on_the_class_with_every_status_in_words(app: Flask, launcher, services) -> None:
    nrps = roster(services, ROSTER_ONLY, {"user_id": "FAC", "name": "Fay Facilitator", "roles": ["Instructor"]})
    ids = pages(app)
    reader = learner(launcher, "L-A", "Ana Reader", country="AG", agency="Immigration Department", **nrps)
    for page in ids[:2]:
        assert reader.get(f"/m/m01/p/{page}").status_code == 200
    quizzer = learner(launcher, "L-B", "Ben Quiz", country="GD", **nrps)
    assert quizzer.get("/m/m01/quiz").status_code == 200
    failing = learner(launcher, "L-C", "Cleo Fail", country="VC", **nrps)
    assert submit_quiz(failing, app, correct=False).status_code == 303
    locked = learner(launcher, "L-D", "Dan Locked", country="GD", **nrps)
    for _ in range(3):
        assert submit_quiz(locked, app, correct=False).status_code == 303
    passing = learner(launcher, "L-E", "Eve Pass", country="AG", **nrps)
    assert submit_quiz(passing, app, correct=True).status_code == 303
    done = learner(launcher, "L-F", "Finn Done", country="VC", **nrps)
    done.read_all(ids)
    assert submit_quiz(done, app, correct=True).status_code == 303

    staff = facilitator(launcher, **nrps)
    landed = staff.get("/")
    assert landed.status_code == 200
    assert landed.url == staff.base + "/facilitator/m/m01/"
    assert "The Global Context of Migration" in landed.text
    path = "/" + staff.base.split("/", 3)[3]
    assert f'href="{path}/m/m01/">See as a learner</a>' in landed.text  # the learner view is one click away
    html = landed.text
    assert row_of(html, "Ana Reader").startswith("Ana Reader reading page 2 of 5 — Antigua and Barbuda (AG) "
                                                 "Immigration Department")
    assert "quiz in progress" in row_of(html, "Ben Quiz")
    cleo = row_of(html, "Cleo Fail")
    assert cleo.startswith("Cleo Fail failed, 2 attempts left (0%)") and "0% Saint Vincent and the Grenadines (VC)" in cleo
    assert "failed, no attempts left (0%)" in row_of(html, "Dan Locked")
    assert row_of(html, "Eve Pass").startswith("Eve Pass passed, 0 of 5 pages read (100%)")
    assert row_of(html, "Finn Done").startswith("Finn Done completed (100%)")
    assert row_of(html, "Gail Roster") == "Gail Roster not started — country not known yet — never opened an activity"
    assert "Fay Facilitator" not in html  # staff are not learners of the class
    # the status colours come with their words, and the course overview is one click away
    assert '<span class="st st-no_attempts">failed, no attempts left (0%)</span>' in html
    assert "Course overview" in html


def test_a_status_filter_shows_who_needs_help(app: Flask, launcher) -> None:
    locked = learner(launcher, "F-1", "Hana Stuck", country="GD")
    for _ in range(3):
        submit_quiz(locked, app, correct=False)
    learner(launcher, "F-2", "Ivo Fine", country="GD")
    staff = facilitator(launcher)
    stuck = staff.get("/facilitator/m/m01/?status=no_attempts")
    assert "Hana Stuck" in stuck.text and "Ivo Fine" not in stuck.text
    assert staff.get("/facilitator/m/m01/?status=nonsense").status_code == 400
    assert staff.get("/facilitator/m/m99/").status_code == 404


def test_roster_members_show_the_country_the_lms_gives_where_it_does(launcher, services) -> None:
    custom = "https://purl.imsglobal.org/spec/lti/claim/custom"
    with_country = {"user_id": "R-2", "name": "Rosa Roster", "roles": ["Learner"],
                    "message": [{custom: {"person_country": "VC", "agency": "Customs"}}]}
    nrps = roster(services, with_country, ROSTER_ONLY)
    html = facilitator(launcher, **nrps).get("/facilitator/m/m01/").text
    assert row_of(html, "Rosa Roster") == ("Rosa Roster not started — Saint Vincent and the Grenadines (VC) Customs "
                                           "never opened an activity")
    assert "country not known yet" in row_of(html, "Gail Roster")


def test_send_again_stays_on_the_learners_page(app: Flask, launcher, services) -> None:
    ags = {AGS: {"scope": [SCORE_SCOPE], "lineitems": services.base + "/lineitems", "lineitem": services.lineitem}}
    taker = learner(launcher, "S-1", "Sam Sender", country="GD", **ags)
    submit_quiz(taker, app, correct=True)
    pid = participant_id(app, launcher, "S-1")
    with app.app_context():  # the LMS refused it, say: the facilitator sends it again
        delivery_id = db.session.scalar(select(GradeDelivery.id).where(GradeDelivery.participant_id == pid))
        db.session.execute(update(GradeDelivery).where(GradeDelivery.id == delivery_id).values(
            status=DeliveryStatus.FAILED, last_error="HTTP 400: Incorrect score received"))
        db.session.commit()
    staff = facilitator(launcher)
    overview = staff.get("/facilitator/")
    assert "Grades: 1 failed, 0 waiting to be sent to the LMS." in overview.text
    assert "Send all failed grades again" in overview.text
    assert re.search(r'<td class="st-passed">passed 100% <b class="tag-grade">!</b></td>', overview.text)
    page = staff.get(f"/facilitator/learner/{pid}")
    assert "Incorrect score received" in page.text
    sent = staff.post("/facilitator/grades/resend", {"csrf_token": csrf(page.text), "delivery_id": delivery_id})
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/facilitator/learner/{pid}?resent=1")
    back = requests.get(urljoin(sent.url, sent.headers["Location"]), timeout=10)
    assert "1 score queued again." in back.text and "Sam Sender" in back.text


def test_a_facilitator_opens_a_learners_attempt(app: Flask, launcher) -> None:
    taker = learner(launcher, "A-1", "Ada Answers", country="AG")
    result = submit_quiz(taker, app, correct=False)
    attempt_id = int(result.headers["Location"].rsplit("/", 1)[1])
    pid = participant_id(app, launcher, "A-1")
    staff = facilitator(launcher)
    listed = staff.get(f"/facilitator/learner/{pid}")
    assert f"/facilitator/learner/{pid}/attempts/{attempt_id}" in listed.text
    shown = staff.get(f"/facilitator/learner/{pid}/attempts/{attempt_id}")
    assert shown.status_code == 200
    words = text(shown.text)
    assert "Ada Answers: attempt 1" in words and "Their answer" in words and "Correct answer" in words
    assert "Not passed" in words
    # another learner's id, or an attempt id that is not theirs, finds nothing
    assert staff.get(f"/facilitator/learner/{pid + 1000}/attempts/{attempt_id}").status_code == 404
    assert staff.get(f"/facilitator/learner/{pid}/attempts/{attempt_id + 1000}").status_code == 404
    assert taker.get(f"/facilitator/learner/{pid}/attempts/{attempt_id}").status_code == 403


def test_staff_quiz_attempts_are_left_out(app: Flask, launcher) -> None:
    taker = learner(launcher, "Q-1", "Quinn Learner", country="GD")
    submit_quiz(taker, app, correct=False)
    staff = facilitator(launcher)
    assert submit_quiz(staff, app, correct=True).status_code == 303  # the facilitator tries the quiz
    report = staff.get("/facilitator/questions/m01")
    assert "1 attempt submitted by the course's learners" in text(report.text)
    html = staff.get("/facilitator/m/m01/").text
    assert "Fay Facilitator" not in html
    overview = staff.get("/facilitator/")
    assert "Fay Facilitator" not in overview.text and "Quinn Learner" in overview.text
