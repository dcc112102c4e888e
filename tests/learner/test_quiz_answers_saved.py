"""Quiz answers are never lost: saved question by question (or with "Save and leave"), back on any
device, merged across tabs, kept when the launch has expired, refused without harm once scored.
Over real HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from learner_helpers import Learner, answer_form, attempt_by_key
from lti_helpers import Launcher
from lti_tool.extensions import db
from lti_tool.grades.models import GradeDelivery
from lti_tool.grades.worker import GradeWorker
from lti_tool.lti.models import Launch
from lti_tool.models_base import utcnow
from lti_tool.progress.models import Attempt
from lti_tool.runtime import runtime


def by_question(fields: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Answer fields grouped by question id (`q-<id>` and its rows `q-<id>-<n>`)."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for name, value in fields:
        qid = re.fullmatch(r"q-(.+?)(?:-\d+)?", name).group(1)
        grouped.setdefault(qid, []).append((name, value))
    return grouped


def open_quiz(learner: Learner, app: Flask) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]], list[str]]:
    """The quiz form's hidden fields, the right answers by question, and the questions in paper order."""
    page, hidden = learner.open_quiz()
    answers = by_question(answer_form(app, "m01", hidden["attempt"]))
    order = re.findall(r'data-question="([^"]+)"', page.text)
    return hidden, answers, order


def save(learner: Learner, hidden: dict[str, str], qid: str, fields: list[tuple[str, str]]):
    return learner.post("/m/m01/quiz/save", list(hidden.items()) + [("via", "script"), ("question", qid)] + fields)


def draft_of(app: Flask, key: str) -> dict:
    return attempt_by_key(app, key)[0].draft or {}


def checked_fields(html: str) -> set[tuple[str, str]]:
    """(name, value) of every checked box or radio and every selected option in a quiz page."""
    found = set(re.findall(r'<input type="(?:radio|checkbox)" name="([^"]+)" value="([^"]+)"[^>]* checked>', html))
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', html, re.DOTALL):
        found |= {(name, value) for value in re.findall(r'<option value="([^"]+)" selected>', body)}
    return found


def test_answers_saved_one_by_one_come_back_in_another_browser(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    for qid in order[:4]:
        reply = save(learner, hidden, qid, answers[qid])
        assert reply.status_code == 200, reply.text[:300]
        assert reply.json()["saved"] is True
    assert reply.json()["answered"] == 4
    assert set(draft_of(app, hidden["attempt"])) == set(order[:4])

    elsewhere = Learner.launch(launcher)   # the same person, a new launch, a new browser (no shared cookies)
    assert elsewhere.ref != learner.ref
    assert "4 answers saved" in elsewhere.get("/m/m01/").text
    page, again = elsewhere.open_quiz()
    assert again["attempt"] == hidden["attempt"]   # the same attempt
    shown = checked_fields(page.text)
    for qid in order[:4]:
        assert set(answers[qid]) <= shown, qid
    assert not any(name.startswith(f"q-{qid}") for qid in order[4:] for name, _ in shown)


def test_save_and_leave_without_javascript_then_submit_the_rest(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    first_half = [f for qid in order[:5] for f in answers[qid]]
    left = learner.post("/m/m01/quiz/save", list(hidden.items()) + first_half)
    assert left.status_code == 303 and left.headers["Location"] == f"/l/{learner.ref}/m/m01/?saved=1"
    assert "Your answers are saved. Come back to this attempt" in learner.get("/m/m01/?saved=1").text
    # a form without the first half (another tab, or the fields left blank) loses none of it
    second_half = [f for qid in order[5:] for f in answers[qid]]
    submitted = learner.post("/m/m01/quiz", list(hidden.items()) + second_half)
    assert submitted.status_code == 303
    attempt, progress = attempt_by_key(app, hidden["attempt"])
    assert attempt.percent == 100.0 and progress.passed
    assert set(attempt.answers) == set(order) and attempt.draft is None


def test_an_unanswered_question_prompt_keeps_what_was_given(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    given = [f for qid in order[:3] for f in answers[qid]]
    prompted = learner.post("/m/m01/quiz", list(hidden.items()) + given)
    assert prompted.status_code == 200 and "7 questions have no answer" in prompted.text
    assert set(draft_of(app, hidden["attempt"])) == set(order[:3])   # leaving now loses nothing


def test_a_question_can_be_cleared_and_only_the_papers_questions_saved(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    save(learner, hidden, order[0], answers[order[0]])
    assert save(learner, hidden, order[0], []).json()["answered"] == 0
    assert draft_of(app, hidden["attempt"]) == {}
    assert save(learner, hidden, "not-on-this-paper", []).status_code == 400
    assert learner.post("/m/m01/quiz/save", {**hidden, "csrf_token": "forged", "via": "script"}).status_code == 400
    assert learner.post("/m/m01/quiz/save", {**hidden, "attempt": "someone-else", "via": "script"}).status_code == 404


def test_concurrent_saves_of_different_questions_keep_every_answer(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    barrier = threading.Barrier(len(order))
    statuses: list[int] = []

    def one(qid: str) -> None:
        tab = Learner(base=learner.base, tool_url=learner.tool_url)   # a tab of its own
        barrier.wait()
        statuses.append(save(tab, hidden, qid, answers[qid]).status_code)

    threads = [threading.Thread(target=one, args=(qid,)) for qid in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(order)
    assert set(draft_of(app, hidden["attempt"])) == set(order)


def test_a_save_after_the_submit_is_refused_without_harm(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    all_right = [f for qid in order for f in answers[qid]]
    assert learner.post("/m/m01/quiz", list(hidden.items()) + all_right).status_code == 303
    late = save(learner, hidden, order[0], [])   # a second tab clears an answer after the submit
    assert late.status_code == 409 and late.json()["saved"] is False
    assert "already submitted" in late.json()["message"]
    attempt, _ = attempt_by_key(app, hidden["attempt"])
    assert attempt.percent == 100.0 and set(attempt.answers) == set(order) and attempt.draft is None
    leave = learner.post("/m/m01/quiz/save", list(hidden.items()) + all_right)
    assert leave.status_code == 409


def test_saves_racing_a_submit_never_touch_the_result(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    all_right = [f for qid in order for f in answers[qid]]
    barrier = threading.Barrier(6)
    outcomes: list[tuple[str, int]] = []

    def submit() -> None:
        barrier.wait()
        outcomes.append(("submit", Learner(learner.base, learner.tool_url).post(
            "/m/m01/quiz", list(hidden.items()) + all_right).status_code))

    def clear(qid: str) -> None:
        barrier.wait()
        outcomes.append(("save", save(Learner(learner.base, learner.tool_url), hidden, qid, []).status_code))

    threads = [threading.Thread(target=submit)] + [threading.Thread(target=clear, args=(q,)) for q in order[:5]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ("submit", 303) in outcomes
    assert {status for kind, status in outcomes if kind == "save"} <= {200, 409}
    attempt, progress = attempt_by_key(app, hidden["attempt"])
    assert attempt.percent == 100.0 and progress.attempts_used == 1   # the submitted form is what counts
    with app.app_context():
        assert db.session.scalar(select(Attempt.id).where(Attempt.progress_id == progress.id,
                                                          Attempt.id != attempt.id)) is None


def expire(app: Flask, learner: Learner) -> None:
    with app.app_context():
        db.session.get(Launch, runtime(app).refs.resolve(learner.ref)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_a_submit_after_the_launch_expired_is_kept_and_scored_when_the_learner_returns(
        launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    save(learner, hidden, order[0], answers[order[0]])
    expire(app, learner)
    assert learner.get("/m/m01/").status_code == 401
    autosaved = save(learner, hidden, order[1], answers[order[1]])   # quiz.js, after the expiry
    assert autosaved.status_code == 200 and autosaved.json() == {"saved": True, "expired": True}
    rest = [f for qid in order[2:] for f in answers[qid]]
    kept = learner.post("/m/m01/quiz", list(hidden.items()) + rest)
    assert kept.status_code == 202
    assert "Your answers are kept" in kept.text
    assert "Open the activity again from your LMS: your attempt is then scored from these answers." in kept.text
    attempt, progress = attempt_by_key(app, hidden["attempt"])
    assert attempt.submitted_at is None and attempt.submit_requested_at is not None
    assert set(attempt.draft) == set(order) and progress.attempts_used == 0

    back = Learner.launch(launcher)   # the next day, from the LMS
    overview = back.get("/m/m01/").text
    assert re.search(r"Your quiz attempt 1, sent after your session had ended, has been scored", overview)
    attempt, progress = attempt_by_key(app, hidden["attempt"])
    assert attempt.submitted_at is not None and attempt.percent == 100.0 and progress.passed


def test_late_answers_need_their_attempts_token_and_this_site(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    other = Learner.launch(launcher, sub="someone-else")
    other_hidden, _, _ = open_quiz(other, app)
    expire(app, learner)
    form = list(answers[order[0]])
    forged = learner.post("/m/m01/quiz", list({**hidden, "answers_token": "forged"}.items()) + form)
    assert forged.status_code == 409 and "could not be kept" in forged.text
    swapped = learner.post("/m/m01/quiz", list({**hidden, "answers_token": other_hidden["answers_token"]}.items())
                           + form)
    assert swapped.status_code == 409
    cross_site = learner.post("/m/m01/quiz", list(hidden.items()) + form, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 409 and "not sent from this quiz" in cross_site.text
    other_module = learner.post("/m/m02/quiz", list(hidden.items()) + form)
    assert other_module.status_code == 409
    attempt, _ = attempt_by_key(app, hidden["attempt"])
    assert attempt.draft is None and attempt.submit_requested_at is None   # nothing was written
    assert attempt_by_key(app, other_hidden["attempt"])[0].draft is None


def test_a_late_submit_of_an_attempt_already_scored_says_so(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    all_right = [f for qid in order for f in answers[qid]]
    assert learner.post("/m/m01/quiz", list(hidden.items()) + all_right).status_code == 303
    expire(app, learner)
    again = learner.post("/m/m01/quiz", list(hidden.items()) + all_right)   # the other tab, the next day
    assert again.status_code == 409 and "This attempt was already submitted: its result is kept." in again.text


def test_an_attempt_past_its_deadline_is_scored_by_the_grade_worker(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    hidden, answers, order = open_quiz(learner, app)
    for qid in order[:7]:
        save(learner, hidden, qid, answers[qid])
    with app.app_context():   # the module's deadline for this attempt has passed
        attempt = db.session.scalar(select(Attempt).where(Attempt.key == hidden["attempt"]))
        attempt.due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert GradeWorker(app).score_due() == 1
    attempt, progress = attempt_by_key(app, hidden["attempt"])
    assert attempt.submitted_at is not None and set(attempt.answers) == set(order[:7])
    assert progress.attempts_used == 1 and 0 < attempt.percent < 100
    with app.app_context():
        assert db.session.scalar(select(GradeDelivery.id).where(
            GradeDelivery.participant_id == progress.participant_id)) is not None
    assert GradeWorker(app).score_due() == 0
    assert re.search(r">Attempt 1</a></td>", learner.get("/m/m01/").text)   # in the learner's history


def test_the_quiz_page_names_the_deadline(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    page, hidden = learner.open_quiz()
    assert "Answer by" not in page.text
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.key == hidden["attempt"]))
        attempt.due_at = utcnow() + timedelta(hours=2)
        db.session.commit()
    assert "whatever you have saved then is submitted for you" in learner.get("/m/m01/quiz").text
