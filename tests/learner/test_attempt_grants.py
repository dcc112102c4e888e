"""No learner locked out: a facilitator (or an admin on the command line) gives one more attempt or a
reset, with the reason kept and shown to the learner, who may then pass. Over real HTTP."""
from __future__ import annotations

import re
import secrets

import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from learner_helpers import Learner, complete_module, submit_quiz
from lti_helpers import Launcher, launch_base
from lti_tool.cli import main
from lti_tool.courses.models import Course, Participant
from lti_tool.extensions import db
from lti_tool.forms import launch_csrf_token
from lti_tool.lti.models import Launch
from lti_tool.progress.models import AttemptGrant, Progress
from lti_tool.runtime import runtime

TEACHER = "03_id_token_teacher_resource_link.json"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"


def cli(app: Flask, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def ids_of(app: Flask, learner: Learner) -> tuple[int, int]:
    """(course id, participant id) of a learner's launch."""
    with app.app_context():
        launch = db.session.get(Launch, runtime(app).refs.resolve(learner.ref))
        return launch.course_id, launch.participant_id


def locked_out(launcher: Launcher, app: Flask, **claims) -> Learner:
    """A learner who used all three attempts at m01 without passing."""
    learner = Learner.launch(launcher, **claims)
    for _ in range(3):
        assert submit_quiz(learner, app, correct=False).status_code == 303
    return learner


def facilitator_base(launcher: Launcher, **claims) -> str:
    response = launcher.launch(TEACHER, **claims)
    assert response.status_code == 303
    return launcher.tool_url + launch_base(response)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_locked_out_learner_is_told_so_then_gets_a_fourth_attempt_and_passes(launcher: Launcher, app: Flask) -> None:
    learner = locked_out(launcher, app)
    closed = learner.get("/m/m01/quiz")
    assert closed.status_code == 409
    assert "No attempts left: ask your facilitator if you need another one." in closed.text
    overview = learner.get("/m/m01/").text
    result = learner.get(re.search(r'href="/l/[^/]+(/m/m01/attempts/\d+)">Attempt 3', overview).group(1)).text
    assert "You have no attempts left at the quiz. Ask your facilitator: they can give you another attempt." in result
    assert "Take the quiz again" not in result

    base = facilitator_base(launcher)
    _, participant_id = ids_of(app, learner)
    board = requests.get(base + "/facilitator/", timeout=10).text
    assert 'aria-label="Give Gina Grenada one more attempt at m01"' in board
    page = requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10).text
    assert "No attempts left" in page and "3 of 3 attempts used" in page
    granted = requests.post(f"{base}/facilitator/learner/{participant_id}/attempts", allow_redirects=False, timeout=10,
                            data={"csrf_token": csrf(page), "module": "m01", "kind": "extra", "back": "learner",
                                  "reason": "The connection dropped during attempt 3"})
    assert granted.status_code == 303 and granted.headers["Location"].endswith("#attempts")
    after = requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10).text
    assert re.search(r"<td>m01</td>\s*<td>Tina Teacher</td>\s*<td>\+1</td><td>The connection dropped during attempt 3</td>",
                     after)
    assert 'aria-label="Give Gina Grenada one more attempt at m01"' not in requests.get(
        base + "/facilitator/", timeout=10).text

    # the learner sees that they may try again, and why
    overview = learner.get("/m/m01/").text
    assert ("Tina Teacher gave you one more attempt. Reason: The connection dropped during attempt 3 "
            "You may take the quiz again.") in re.sub(r"\s+", " ", overview)
    assert re.search(r'<tr class="grant"><td>More attempts</td>', overview)
    assert "You have 1 attempt left." in overview
    passed = learner.http.get(learner.base + complete_module(learner, app, "m01").headers["Location"]
                              .split(learner.ref, 1)[1], timeout=10).text
    assert "Attempt 4" not in passed and "Your result: attempt 4" in passed
    assert "Passed" in passed and "Module completed" in passed
    with app.app_context():
        row = db.session.scalar(select(Progress).where(Progress.participant_id == participant_id))
        assert (row.attempts_used, row.attempts_granted, row.passed) == (4, 1, True)


def test_a_reset_gives_the_full_number_again_and_keeps_the_scores(launcher: Launcher, app: Flask) -> None:
    learner = locked_out(launcher, app)
    base = facilitator_base(launcher)
    _, participant_id = ids_of(app, learner)
    page = requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10).text
    reset = requests.post(f"{base}/facilitator/learner/{participant_id}/attempts", allow_redirects=False, timeout=10,
                          data={"csrf_token": csrf(page), "module": "m01", "kind": "reset", "back": "dashboard"})
    assert reset.status_code == 303 and "granted=m01" in reset.headers["Location"]
    overview = learner.get("/m/m01/").text
    assert "You have 3 attempts left." in overview
    assert "Tina Teacher reset your attempts: 3 more attempts." in overview
    assert overview.count(">Attempt ") == 3   # the three earlier attempts stay in the history
    # a second reset with nothing used since adds nothing: refused, named
    again = requests.post(f"{base}/facilitator/learner/{participant_id}/attempts", timeout=10,
                          data={"csrf_token": csrf(page), "module": "m01", "kind": "reset"})
    assert again.status_code == 400
    assert "has not used any attempt since the last reset" in again.text


def test_grants_are_refused_where_they_do_not_belong(launcher: Launcher, app: Flask) -> None:
    learner = locked_out(launcher, app)
    base = facilitator_base(launcher)
    _, participant_id = ids_of(app, learner)
    token = csrf(requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10).text)
    url = f"{base}/facilitator/learner/{participant_id}/attempts"
    not_started = requests.post(url, data={"csrf_token": token, "module": "m02", "kind": "extra"}, timeout=10)
    assert not_started.status_code == 400 and "has not started module m02" in not_started.text
    unknown = requests.post(url, data={"csrf_token": token, "module": "m99", "kind": "extra"}, timeout=10)
    assert unknown.status_code == 404
    bad_kind = requests.post(url, data={"csrf_token": token, "module": "m01", "kind": "all"}, timeout=10)
    assert bad_kind.status_code == 400
    no_token = requests.post(url, data={"module": "m01", "kind": "extra"}, timeout=10)
    assert no_token.status_code == 400
    as_learner = requests.post(f"{learner.base}/facilitator/learner/{participant_id}/attempts", timeout=10,
                               data={"csrf_token": token, "module": "m01", "kind": "extra"})
    assert as_learner.status_code == 403
    # a facilitator of another course of the same LMS cannot reach this learner
    other = facilitator_base(launcher, **{CONTEXT: {"id": "other-" + secrets.token_hex(3), "label": "OTHER"}})
    with app.app_context():   # the other facilitator's own, valid form token
        other_token = launch_csrf_token(runtime(app).refs.resolve(other.rsplit("/", 1)[1]))
    assert requests.post(f"{other}/facilitator/learner/{participant_id}/attempts", timeout=10,
                         data={"csrf_token": other_token, "module": "m01", "kind": "extra"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(AttemptGrant.id).join(Progress).where(
            Progress.participant_id == participant_id)) is None


def test_command_line_grant_and_reset(launcher: Launcher, app: Flask) -> None:
    label = "EMM-" + secrets.token_hex(3)
    learner = locked_out(launcher, app, **{CONTEXT: {"id": "ctx-" + label, "label": label, "title": "Cohort"}})
    course_id, participant_id = ids_of(app, learner)
    granted = cli(app, "attempts", "grant", "--course", label, "--user", "4", "--module", "m01",
                  "--reason", "Asked by e-mail")
    assert granted.exit_code == 0, granted.output
    assert f"may take the m01 quiz again in course {course_id}: 1 attempt(s) added, 1 left (4 allowed in all)" \
        in granted.output
    overview = learner.get("/m/m01/").text
    assert "an administrator (command line) gave you one more attempt. Reason: Asked by e-mail" in \
        re.sub(r"\s+", " ", overview)
    reset = cli(app, "attempts", "reset", "--course", str(course_id), "--user", "4", "--module", "m01")
    assert reset.exit_code == 0 and "3 left (6 allowed in all)" in reset.output, reset.output
    assert cli(app, "attempts", "grant", "--course", "ctx-" + label, "--user", "4", "--module", "m01").exit_code == 0

    for args, named in (
        (["--course", "no-such-course", "--user", "4", "--module", "m01"], "--course: no course 'no-such-course'"),
        (["--course", label, "--user", "nobody", "--module", "m01"], "--user: nobody with LMS user id 'nobody'"),
        (["--course", label, "--user", "4", "--module", "m99"], "--module: no module 'm99'"),
        (["--course", label, "--user", "4", "--module", "m02"], "has not started module m02"),
        (["--course", label, "--user", "4", "--module", "t90"], "Module t90 has no quiz"),
        (["--course", label, "--user", "4"], "Missing option '--module'"),
    ):
        refused = cli(app, "attempts", "grant", *args)
        assert refused.exit_code == 2 and named in refused.output, (args, refused.output)
    with app.app_context():
        grants = db.session.scalars(select(AttemptGrant).join(Progress).where(
            Progress.participant_id == participant_id).order_by(AttemptGrant.id)).all()
        assert [(g.kind, g.attempts_added, g.granted_by, g.reason) for g in grants] == [
            ("extra", 1, "", "Asked by e-mail"), ("reset", 2, "", ""), ("extra", 1, "", "")]   # 1 left + 2 = 3


def test_a_course_label_shared_by_two_courses_is_refused_naming_them(launcher: Launcher, app: Flask) -> None:
    label = "TWIN-" + secrets.token_hex(3)
    for n in (1, 2):
        Learner.launch(launcher, **{CONTEXT: {"id": f"twin-{n}-{label}", "label": label}})
    refused = cli(app, "attempts", "grant", "--course", label, "--user", "4", "--module", "m01")
    assert refused.exit_code == 2 and f"--course: {label!r} names 2 courses" in refused.output
    with app.app_context():
        ids = db.session.scalars(select(Course.id).where(Course.label == label).order_by(Course.id)).all()
    assert all(f"{course_id} ({label}" in refused.output for course_id in ids)


def test_help_says_what_course_may_be() -> None:
    shown = CliRunner().invoke(main, ["attempts", "grant", "--help"])
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())
    assert "the tool's course id (a number, as `emm-lti grades status` shows it), or the LMS course's label" in text


def test_erasing_a_person_takes_their_grants_and_keeps_the_ones_they_gave(launcher: Launcher, app: Flask) -> None:
    learner = locked_out(launcher, app)
    base = facilitator_base(launcher)
    _, participant_id = ids_of(app, learner)
    page = requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10).text
    requests.post(f"{base}/facilitator/learner/{participant_id}/attempts", timeout=10,
                  data={"csrf_token": csrf(page), "module": "m01", "kind": "extra", "reason": "ok"})
    issuer = launcher.platform.issuer
    exported = cli(app, "participants", "export", "--issuer", issuer, "--user-id", "4")
    assert '"reason": "ok"' in exported.output and '"attempts_granted"' in exported.output
    teacher = cli(app, "participants", "erase", "--issuer", issuer, "--user-id", "3", "--yes")
    assert teacher.exit_code == 0
    with app.app_context():
        grant = db.session.scalar(select(AttemptGrant).join(Progress).where(Progress.participant_id == participant_id))
        assert (grant.granted_by, grant.granted_by_id) == ("Tina Teacher", None)
    assert cli(app, "participants", "erase", "--issuer", issuer, "--user-id", "4", "--yes").exit_code == 0
    with app.app_context():
        assert db.session.get(AttemptGrant, grant.id) is None
        assert db.session.scalar(select(Participant).where(Participant.id == participant_id)) is None
