"""The knowledge checks over real HTTP: first thing a learner sees once the facilitator turns them on,
taken or skipped once, never in the gradebook; then the check after the last module and the
certificate, which /verify/<code> confirms showing only the name and the modules."""
from __future__ import annotations

import re

import requests
from flask import Flask
from sqlalchemy import func, select

from facilitator_support import csrf, facilitator, learner, participant_id, text
from learner_helpers import answer_fields, complete_module, hidden_fields
from lti_helpers import Launcher
from lti_tool.extensions import db
from lti_tool.gain.models import Certificate, CourseTest
from lti_tool.grades.models import GradeDelivery
from lti_tool.progress.models import Progress
from lti_tool.quizzes.engine import Paper
from lti_tool.runtime import runtime


def turn_on(launcher: Launcher, scope: str = "course") -> None:
    staff = facilitator(launcher, "F1")
    page = staff.get("/facilitator/gain")
    assert "Offer the knowledge check" in page.text
    saved = staff.post("/facilitator/gain/options", {"csrf_token": csrf(page.text), "knowledge_checks": "y",
                                                     "certificate_scope": scope})
    assert saved.status_code == 303


def check_row(app: Flask, launcher: Launcher, sub: str, kind: str) -> CourseTest | None:
    pid = participant_id(app, launcher, sub)
    with app.app_context():
        found = db.session.scalar(select(CourseTest).where(CourseTest.participant_id == pid, CourseTest.kind == kind))
        db.session.expunge_all()
        return found


def answers_for(app: Flask, row: CourseTest, *, correct: bool) -> list[tuple[str, str]]:
    fields = []
    with app.app_context():
        for part in row.paper["modules"]:
            quiz = runtime(app).catalogue.get(part["module"]).quiz("en")
            fields += [(f"{part['module']}-{name}", value)
                       for name, value in answer_fields(quiz, Paper.from_dict(part["paper"]), correct=correct)]
    return fields


def test_the_check_before_comes_first_and_is_taken_once(app: Flask, launcher: Launcher) -> None:
    early = learner(launcher, "E1", "Eve Early", country="GD")
    with app.app_context():
        first_page = runtime(app).catalogue.get("m01").pages("en")[0][0].id
    assert early.get(f"/m/m01/p/{first_page}").status_code == 200   # started before the checks were turned on
    turn_on(launcher)

    ann = learner(launcher, "A1", "Ann AG", country="AG", agency="Immigration")
    first = ann.get("/m/m01/", allow_redirects=False)
    assert first.status_code == 302 and "/check/pre?next=" in first.headers["Location"]
    page = ann.get("/check/pre?next=/l/" + ann.ref + "/m/m01/")
    assert page.status_code == 200
    assert "Why we ask" in page.text and "not graded" in page.text
    row = check_row(app, launcher, "A1", "pre")
    with app.app_context():
        objectives = {q.objective for q in runtime(app).catalogue.get("m01").quiz("en").questions if q.objective}
    # one question per objective of the course's modules (m01 only here)
    assert len(row.paper["modules"]) == 1 and len(row.paper["modules"][0]["paper"]["questions"]) == len(objectives)
    assert page.text.count('class="question') == len(objectives)
    assert ann.get("/check/pre").text.count('class="question') == len(objectives)   # the same paper again

    form = hidden_fields(page.text, "/check/pre")
    sent = ann.post("/check/pre", list(form.items()) + [("action", "submit")] + answers_for(app, row, correct=True))
    assert sent.status_code == 303 and "/check/pre/done" in sent.headers["Location"]
    done = check_row(app, launcher, "A1", "pre")
    assert (done.correct, done.total, done.country, done.agency) == (len(objectives), len(objectives), "AG", "Immigration")

    # once only: the same form again, with wrong answers, changes nothing; the page says it was taken
    again = ann.post("/check/pre", list(form.items()) + [("action", "submit")] + answers_for(app, row, correct=False))
    assert again.status_code == 303
    assert check_row(app, launcher, "A1", "pre").correct == len(objectives)
    assert "You took this knowledge check on" in text(ann.get("/check/pre").text)
    assert ann.get("/m/m01/", allow_redirects=False).status_code == 200     # now the module itself
    pid = participant_id(app, launcher, "A1")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseTest).where(
            CourseTest.participant_id == pid)) == 1
        assert db.session.scalar(select(func.count()).select_from(GradeDelivery).where(
            GradeDelivery.participant_id == pid)) == 0                      # never in the gradebook

    # skipped: recorded, not offered again
    bob = learner(launcher, "B1", "Bob GD", country="GD")
    page = bob.get("/check/pre")
    skip = bob.post("/check/pre", list(hidden_fields(page.text, "/check/pre").items()) + [("action", "skip")])
    assert skip.status_code == 303
    assert check_row(app, launcher, "B1", "pre").skipped_at is not None
    assert bob.get("/m/m01/", allow_redirects=False).status_code == 200
    assert "You skipped this knowledge check" in text(bob.get("/check/pre").text)

    # a learner who had started a module before is not offered the check before
    assert early.get("/m/m01/", allow_redirects=False).status_code == 200
    assert early.get("/check/pre").status_code == 404
    # a forged form without the launch's token is refused
    assert ann.post("/check/post", [("action", "submit")]).status_code == 400


def test_check_after_certificate_and_verification(app: Flask, launcher: Launcher) -> None:
    turn_on(launcher)
    ann = learner(launcher, "A1", "Ann Joseph", country="AG", email="ann@example.org")
    page = ann.get("/check/pre")
    form = hidden_fields(page.text, "/check/pre")
    pre = check_row(app, launcher, "A1", "pre")
    assert ann.post("/check/pre", list(form.items()) + [("action", "submit")]
                    + answers_for(app, pre, correct=False)).status_code == 303
    assert ann.get("/check/post").status_code == 404            # not before the last module is completed
    assert complete_module(ann, app, "m01").status_code == 303

    module_page = ann.get("/m/m01/")
    assert "Take the final knowledge check" in module_page.text
    assert "Your certificate of completion for this course" in module_page.text
    page = ann.get("/check/post")
    assert page.status_code == 200
    post = check_row(app, launcher, "A1", "post")
    pre_ids = {q["id"] for q in pre.paper["modules"][0]["paper"]["questions"]}
    post_ids = {q["id"] for q in post.paper["modules"][0]["paper"]["questions"]}
    assert pre_ids != post_ids          # other questions on the same objectives where the pool has them
    assert ann.post("/check/post", list(hidden_fields(page.text, "/check/post").items()) + [("action", "submit")]
                    + answers_for(app, post, correct=True)).status_code == 303
    done = text(ann.get("/check/post/done").text)
    n = len(post_ids)
    assert check_row(app, launcher, "A1", "post").correct == n
    assert f"You answered {n} of {n}" in done and f"Before the course: 0 of {len(pre_ids)}" in done

    cert_page = ann.get("/certificate/course")
    assert cert_page.status_code == 200
    shown = text(cert_page.text)
    assert "Ann Joseph" in shown and "The Global Context of Migration" in shown and "Antigua and Barbuda" in shown
    code = re.search(r"([A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5})", shown).group(1)
    assert ann.get("/certificate/course").text.count(code) >= 1          # the same code on every visit
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)
                                 .where(Certificate.code == code.replace("-", ""))) == 1

    verified = requests.get(f"{ann.tool_url}/verify/{code}", timeout=10)
    assert verified.status_code == 200
    public = text(verified.text)
    assert "Certificate verified" in public and "Ann Joseph" in public and "The Global Context of Migration" in public
    # nothing personal beyond the name and the modules
    for private in ("ann@example.org", "Antigua", "AG", "Immigration", "2026", "Caribbean"):
        assert private not in public.replace("Management", ""), private
    assert verified.headers["X-Robots-Tag"] == "noindex"
    # typed in lower case without dashes: the same certificate
    assert requests.get(f"{ann.tool_url}/verify/{code.replace('-', '').lower()}", timeout=10).status_code == 200

    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (tampered, "AAAAA-AAAAA-AAAAA-AAAAA", "not-a-code", "x" * 300):
        refused = requests.get(f"{ann.tool_url}/verify/{bad}", timeout=10)
        assert refused.status_code == 404, bad
        assert "No certificate has this code" in refused.text and "Ann Joseph" not in refused.text

    # the person's data erased on request: their checks and certificate go with it, the code is unknown
    from lti_tool.courses.models import Participant
    from lti_tool.maintenance import erase_participant, export_participant

    with app.app_context():
        pid = participant_id(app, launcher, "A1")
        person = db.session.get(Participant, pid)
        kept = export_participant(person)
        assert len(kept["knowledge_checks"]) == 2 and kept["certificates"][0]["code"] == code.replace("-", "")
        erase_participant(person)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(CourseTest).where(
            CourseTest.participant_id == pid)) == 0
    assert requests.get(f"{ann.tool_url}/verify/{code}", timeout=10).status_code == 404


def test_a_certificate_per_module_when_the_facilitator_chooses_it(app: Flask, launcher: Launcher) -> None:
    turn_on(launcher, scope="module")
    ann = learner(launcher, "A1", "Ann Joseph", country="AG")
    assert ann.get("/certificate/course").status_code == 404
    assert ann.get("/certificate/m01").status_code == 404               # not completed yet
    page = ann.get("/check/pre")
    ann.post("/check/pre", list(hidden_fields(page.text, "/check/pre").items()) + [("action", "skip")])
    assert complete_module(ann, app, "m01").status_code == 303
    assert "Your certificate for module m01" in ann.get("/m/m01/").text
    assert ann.get("/certificate/m01").status_code == 200
    # staff see no knowledge check and get no certificate
    staff = facilitator(launcher, "F1")
    assert staff.get("/check/pre").status_code == 404
