"""Session mode over HTTP: where each learner is, the quiz gate, the time limit and its extension,
and the staff link that stays valid through a long session while the LMS roster confirms the role."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urljoin

import pytest
from flask import Flask
from sqlalchemy import select

from facilitator_support import NRPS, csrf, facilitator, learner, participant_id, text
from learner_helpers import answer_form
from lti_tool.courses import course_modules
from lti_tool.extensions import db
from lti_tool.lti.models import Launch
from lti_tool.progress.models import Attempt, Progress
from lti_tool.runtime import runtime


def page_ids(app: Flask) -> list[str]:
    return [p.id for p in runtime(app).catalogue.get("m01").pages("en")[0]]


def control(staff, action: str, **extra) -> int:
    page = staff.get("/facilitator/m/m01/")
    return staff.post("/facilitator/m/m01/quiz",
                      {"csrf_token": csrf(page.text), "action": action, "back": "class", **extra}).status_code


def let_time_pass(app: Flask, launcher, sub: str, minutes: int) -> None:
    """Move the learner's open attempt and the quiz's time limit back in time: the clocks a deadline
    is measured from (no sleeping)."""
    pid = participant_id(app, launcher, sub)
    with app.app_context():
        attempt, course_id = db.session.execute(select(Attempt, Progress.course_id).join(Progress).where(
            Progress.participant_id == pid, Attempt.submitted_at.is_(None))).one()
        attempt.created_at -= timedelta(minutes=minutes)
        if attempt.due_at is not None:
            attempt.due_at -= timedelta(minutes=minutes)
        row = course_modules.find(course_id, "m01")
        if row is not None and row.time_limit_set_at is not None:
            row.time_limit_set_at -= timedelta(minutes=minutes)
        db.session.commit()


def test_the_live_panel_says_where_each_learner_is(app: Flask, launcher) -> None:
    ids = page_ids(app)
    mia = learner(launcher, "S-1", "Mia Mover", country="GD")
    staff = facilitator(launcher)
    assert staff.get("/facilitator/session/m01/live.json").json()["active"] == []
    mia.get(f"/m/m01/p/{ids[1]}")
    (seen,) = staff.get("/facilitator/session/m01/live.json").json()["active"]
    assert (seen["name"], seen["kind"], seen["page"]) == ("Mia Mover", "page", 2)
    assert seen["where"].startswith("page 2 of 5: ")
    mia.get(f"/m/m01/p/{ids[2]}")
    assert staff.get("/facilitator/session/m01/live.json").json()["active"][0]["page"] == 3
    mia.get("/m/m01/quiz")
    live = staff.get("/facilitator/session/m01/live.json").json()
    assert live["active"][0]["where"] == "taking the quiz" and live["quiz"]["open_attempts"] == 1
    # without JavaScript the page itself says the same
    shown = text(staff.get(f"/facilitator/session/m01/p/{ids[2]}").text)
    assert "1 learner active in the last 2 minutes Mia Mover taking the quiz" in shown
    assert staff.get("/facilitator/session/m01/p/no-such-page").status_code == 404
    assert mia.get("/facilitator/session/m01/live.json").status_code == 403


def test_a_learner_gone_quiet_for_two_minutes_is_not_active(app: Flask, launcher) -> None:
    quiet = learner(launcher, "S-2", "Quentin Quiet", country="AG")
    quiet.get(f"/m/m01/p/{page_ids(app)[0]}")
    pid = participant_id(app, launcher, "S-2")
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.participant_id == pid))
        progress.last_seen_at -= timedelta(minutes=3)
        db.session.commit()
    assert facilitator(launcher).get("/facilitator/session/m01/live.json").json()["active"] == []


def test_closing_the_quiz_stops_new_attempts_but_not_open_ones(app: Flask, launcher) -> None:
    early = learner(launcher, "G-1", "Ezra Early", country="GD")
    _, hidden = early.open_quiz()  # an attempt drawn before the facilitator closes the quiz
    late = learner(launcher, "G-2", "Lena Late", country="GD")
    staff = facilitator(launcher)
    assert control(staff, "close") == 303
    refused = late.get("/m/m01/quiz")
    assert refused.status_code == 409
    assert "The quiz opens when your facilitator says so." in refused.text
    overview = late.get("/m/m01/")
    assert "The quiz opens when your facilitator says so." in overview.text and "Take the quiz" not in overview.text
    # the open attempt may still be finished and counts
    data = list(hidden.items()) + answer_form(app, "m01", hidden["attempt"], correct=True)
    assert early.post("/m/m01/quiz", data).status_code == 303
    assert "The quiz is closed" in staff.get("/facilitator/m/m01/").text
    assert control(staff, "open") == 303
    assert late.get("/m/m01/quiz").status_code == 200


def test_a_time_limit_counts_and_can_be_extended(app: Flask, launcher) -> None:
    staff = facilitator(launcher)
    assert control(staff, "limit", minutes="10") == 303
    slow = learner(launcher, "T-1", "Tom Slow", country="VC")
    page, hidden = slow.open_quiz()
    assert "Time limit: submit your answers by" in page.text and "quiz_timer.js" in page.text
    key = hidden["attempt"]
    with app.app_context():  # due when the limit ends, plus a minute's grace
        attempt = db.session.scalar(select(Attempt).where(Attempt.key == key))
        assert timedelta(minutes=10, seconds=55) < attempt.due_at - attempt.created_at <= timedelta(minutes=11)
    let_time_pass(app, launcher, "T-1", 12)
    data = list(hidden.items()) + answer_form(app, "m01", key, correct=True)
    saving = slow.post("/m/m01/quiz/save", data + [("via", "script")])
    assert saving.status_code == 409 and saving.json()["saved"] is False  # too late to save
    late = slow.post("/m/m01/quiz", data)
    # the attempt counts as it stood at the deadline: nothing was saved, so the late form scores nothing
    assert late.status_code == 303 and late.headers["Location"].endswith("?late=1")
    result = slow.http.get(urljoin(late.url, late.headers["Location"]), timeout=10)
    assert "Time ran out: the answers saved by then were submitted for you." in result.text
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.key == key))
        assert attempt.submitted_at is not None and attempt.percent == 0
    # a second attempt, twelve minutes in: the facilitator gives everyone five more minutes, and it counts
    _, hidden = slow.open_quiz()
    let_time_pass(app, launcher, "T-1", 12)
    assert control(staff, "extend", minutes="5") == 303
    data = list(hidden.items()) + answer_form(app, "m01", hidden["attempt"], correct=True)
    on_time = slow.post("/m/m01/quiz", data)
    assert on_time.status_code == 303 and "late" not in on_time.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Attempt.percent).where(Attempt.key == hidden["attempt"])) == 100
    assert "Extended by 5 minutes." in staff.get("/facilitator/session/m01/live.json").json()["quiz"]["text"]


@pytest.mark.parametrize(("fields", "phrase"), [
    ({"action": "explode"}, "Not a valid choice"),
    ({"action": "limit", "minutes": "7"}, "Choose a time limit from the list."),
    ({"action": "extend", "minutes": "5"}, "This quiz has no time limit to extend."),
    ({"action": "extend", "minutes": "500"}, "Extend the time by 5, 10 or 15 minutes."),
])
def test_bad_quiz_controls_are_refused(launcher, fields, phrase) -> None:
    staff = facilitator(launcher)
    page = staff.get("/facilitator/m/m01/")
    refused = staff.post("/facilitator/m/m01/quiz", {"csrf_token": csrf(page.text), **fields})
    assert refused.status_code == 400 and phrase in refused.text


def test_only_facilitators_control_the_quiz(launcher) -> None:
    pupil = learner(launcher, "X-1", "Pat Pupil")
    page = pupil.get("/m/m01/")
    assert pupil.post("/facilitator/m/m01/quiz", {"csrf_token": csrf(page.text), "action": "close"}).status_code == 403
    staff = facilitator(launcher)
    assert staff.post("/facilitator/m/m01/quiz", {"action": "close"}).status_code == 400  # no CSRF token


def _age_launch(app: Flask, ref: str, seconds: int) -> None:
    with app.app_context():
        launch = db.session.get(Launch, ref.split(".", 1)[0])
        launch.created_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_a_long_session_stays_open_while_the_roster_names_the_facilitator(app: Flask, launcher, services) -> None:
    services.members = [{"user_id": "FAC", "name": "Fay Facilitator", "roles": ["Instructor"], "status": "Active"}]
    nrps = {NRPS: {"context_memberships_url": services.memberships, "service_versions": ["2.0"]}}
    staff = facilitator(launcher, **nrps)
    _age_launch(app, staff.ref, app.config["EMM"].staff_ttl + 60)
    assert staff.get("/facilitator/session/m01/live.json").status_code == 200


def test_a_roster_that_says_learner_ends_a_stale_staff_link(app: Flask, launcher, services) -> None:
    services.members = [{"user_id": "FAC", "name": "Fay Facilitator", "roles": ["Learner"], "status": "Active"}]
    nrps = {NRPS: {"context_memberships_url": services.memberships, "service_versions": ["2.0"]}}
    staff = facilitator(launcher, **nrps)
    _age_launch(app, staff.ref, app.config["EMM"].staff_ttl + 60)
    refused = staff.get("/facilitator/session/m01/live.json")
    assert refused.status_code == 401 and "Open the activity again" in refused.text


def test_a_module_without_a_quiz_has_no_quiz_controls(launcher) -> None:
    staff = facilitator(launcher, module="t90")
    page = staff.get("/facilitator/m/t90/")
    assert page.status_code == 200 and "Close the quiz" not in page.text
    token = csrf(staff.get("/facilitator/m/m01/").text)  # a launch's token: any staff form of it carries it
    refused = staff.post("/facilitator/m/t90/quiz", {"csrf_token": token, "action": "close"})
    assert refused.status_code == 400 and "This module has no quiz." in refused.text
