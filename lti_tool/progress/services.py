"""Progress and attempt rules as plain functions: pages seen, drawing and scoring attempts, completion.

Services only flush; the request hook commits. Two requests of one learner may race (a double
click, two tabs): every write to a progress row first takes a lock on it (`_lock`), and a submitted
attempt is claimed with a conditional UPDATE, so a double-submitted form records one attempt and
sends one `attempt_scored` signal on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select, update

from ..content import Completion, Grading, Module
from ..content.schema import DEFAULT_LANG
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..quizzes.engine import (
    Answers,
    Paper,
    ScoreResult,
    StalePaper,
    draw_paper,
    paper_view,
    parse_answers,
    score,
)
from ..signals import attempt_scored, module_completed
from .models import Attempt, Progress

log = logging.getLogger(__name__)


class NoAttemptsLeft(Conflict):
    """Every attempt the module allows has been used."""

    title = _l("No attempts left")

    def __init__(self, allowed: int):
        super().__init__(lazy_ngettext(
            "You have used your only attempt at this quiz. Its score is kept.",
            "You have used all %(num)s attempts at this quiz. The score that counts is kept.", allowed))
        self.allowed = allowed


class QuizChanged(Conflict):
    """The quiz content changed since the attempt's paper was drawn."""

    title = _l("This quiz has been updated")

    def __init__(self) -> None:
        super().__init__(_l("The questions of this quiz changed since you opened it. Your answers were "
                            "not counted and no attempt was used: open the quiz again to get the new questions."))


class NoQuiz(NotFound):
    def __init__(self) -> None:
        super().__init__(_l("This module has no quiz yet."))


class Unanswered(Exception):
    """Some questions have no answer and the learner has not confirmed submitting anyway."""

    def __init__(self, numbers: list[int]):
        super().__init__(f"unanswered questions {numbers}")
        self.numbers = numbers


@dataclass(frozen=True)
class Submission:
    """The outcome of a submitted quiz form."""

    attempt: Attempt
    #: True when this form had already been submitted: nothing was recorded this time
    replayed: bool
    completed_now: bool = False


# -- progress -------------------------------------------------------------------------------------

def find_progress(course_id: int | None, participant_id: int | None, module_id: str) -> Progress | None:
    """The participant's progress in the module, or None before they open a page or the quiz."""
    if course_id is None or participant_id is None:
        return None
    return db.session.scalar(select(Progress).where(
        Progress.course_id == course_id, Progress.participant_id == participant_id,
        Progress.module_id == module_id))


def get_or_create_progress(course_id: int, participant_id: int, module_id: str) -> Progress:
    """The progress row, inserted when missing; a concurrent insert of the same row is harmless."""
    progress = find_progress(course_id, participant_id, module_id)
    if progress is not None:
        return progress
    now = utcnow()
    stmt = _insert(Progress).values(
        course_id=course_id, participant_id=participant_id, module_id=module_id, pages_seen=[],
        started_at=now, last_seen_at=now, attempts_used=0, passed=False,
    ).on_conflict_do_nothing(index_elements=["course_id", "participant_id", "module_id"])
    db.session.execute(stmt)
    progress = find_progress(course_id, participant_id, module_id)
    if progress is None:  # pragma: no cover - the row was just inserted or was already there
        raise RuntimeError(f"progress of participant {participant_id} in {module_id} vanished")
    log.info("participant %s started %s in course %s", participant_id, module_id, course_id)
    return progress


def _insert(model: type) -> Any:
    """INSERT … ON CONFLICT for the session's backend (both support DO NOTHING)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _lock(progress: Progress) -> None:
    """Serialize writers of one progress row, then re-read it.

    The UPDATE takes PostgreSQL's row lock (held to commit) and SQLite's database write lock
    before the row is read again, so a concurrent request cannot slip a change in between.
    """
    db.session.execute(
        update(Progress).where(Progress.id == progress.id).values(last_seen_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.refresh(progress)


def page_ids(module: Module) -> list[str]:
    """The module's page ids in reading order (the same in every language)."""
    pages, _ = module.pages(DEFAULT_LANG)
    return [p.id for p in pages]


#: a learner counts as active this long after their last request (session mode); a page or quiz
#: view refreshes the row at most once per PRESENCE_REFRESH, so rereading costs no write
PRESENCE_REFRESH = timedelta(seconds=60)


def touch(progress: Progress, location: str) -> None:
    """Say where the learner is now (page | quiz | result), for the facilitator's live panel.

    One conditional UPDATE, only when the place changed or the last one is older than
    PRESENCE_REFRESH: reloading the same page does not write.
    """
    now = utcnow()
    if progress.location == location and progress.last_seen_at and now - progress.last_seen_at < PRESENCE_REFRESH:
        return
    db.session.execute(
        update(Progress).where(Progress.id == progress.id).values(location=location, last_seen_at=now),
        execution_options={"synchronize_session": False},
    )
    progress.location, progress.last_seen_at = location, now


def record_page_view(progress: Progress, module: Module, page_id: str) -> bool:
    """Mark a page seen and remember it for resuming; True when this view completed the module."""
    if progress.last_page_id == page_id and progress.has_seen(page_id):
        touch(progress, "page")
        return False
    _lock(progress)
    if not progress.has_seen(page_id):
        progress.pages_seen = [*(progress.pages_seen or []), page_id]
    progress.last_page_id = page_id
    progress.location = "page"
    completed = _complete_if_met(progress, module, attempt=None)
    if completed:
        _send_completed(progress, module, attempt=None)
    return completed


def completion_met(progress: Progress, module: Module, *, also_seen: str | None = None) -> bool:
    """Whether the module's completion rule (pages_and_quiz | quiz | pages) is satisfied.

    `also_seen` counts one more page as seen, to tell before writing whether a view completes.
    """
    ids = page_ids(module)
    has_quiz = module.quiz(DEFAULT_LANG) is not None
    need_pages = module.completion in (Completion.PAGES_AND_QUIZ, Completion.PAGES) and bool(ids)
    need_quiz = module.completion in (Completion.PAGES_AND_QUIZ, Completion.QUIZ) and has_quiz
    if not need_pages and not need_quiz:
        return False  # an outline: nothing to do yet, so nothing to complete
    seen = set(progress.pages_seen or ()) | ({also_seen} if also_seen else set())
    pages_done = set(ids) <= seen
    return (pages_done or not need_pages) and (progress.passed or not need_quiz)


def page_view_completes(progress: Progress, module: Module, page_id: str) -> bool:
    """Whether opening `page_id` now completes the module (read-only: the page is shown before
    `record_page_view` writes, so SQLite's write lock is held only from that write to the commit)."""
    return progress.completed_at is None and completion_met(progress, module, also_seen=page_id)


def _complete_if_met(progress: Progress, module: Module, attempt: Attempt | None) -> bool:
    """Set completed_at the first time the rule is met; the caller then sends `module_completed`."""
    if progress.completed_at is not None or not completion_met(progress, module):
        return False
    progress.completed_at = utcnow()
    log.info("participant %s completed %s in course %s", progress.participant_id, module.id, progress.course_id)
    return True


def _send_completed(progress: Progress, module: Module, attempt: Attempt | None) -> None:
    db.session.flush()
    module_completed.send(current_app._get_current_object(), progress=progress, module=module, attempt=attempt)


# -- attempts -------------------------------------------------------------------------------------

def attempts_left(progress: Progress | None, module: Module) -> int | None:
    """Attempts the learner may still submit; None when the module allows any number."""
    if module.attempts == 0:
        return None
    used = progress.attempts_used if progress is not None else 0
    return max(0, module.attempts - used)


def open_attempt_of(progress: Progress) -> Attempt | None:
    """The drawn, not yet submitted attempt, if any."""
    return db.session.scalar(select(Attempt).where(
        Attempt.progress_id == progress.id, Attempt.submitted_at.is_(None)))


def open_attempt(progress: Progress, module: Module, *, lang: str, placement_id: int | None) -> Attempt:
    """The learner's open attempt, or a newly drawn one; NoAttemptsLeft when none may be drawn.

    The same open attempt comes back on every reload, so its paper never changes under the learner.
    """
    quiz = module.quiz(DEFAULT_LANG)
    if quiz is None:
        raise NoQuiz()
    attempt = open_attempt_of(progress)
    if attempt is not None and _fits(quiz, attempt):
        return attempt
    _lock(progress)
    attempt = open_attempt_of(progress)  # drawn by a concurrent request while we waited
    if attempt is not None:
        if _fits(quiz, attempt):
            return attempt
        # the quiz changed under this unsubmitted attempt: it was never used, draw again
        log.warning("attempt %s discarded: the quiz changed under it", attempt.id)
        db.session.delete(attempt)
        db.session.flush()
    if attempts_left(progress, module) == 0:
        raise NoAttemptsLeft(module.attempts)
    paper = draw_paper(quiz, secrets.randbits(31))
    attempt = Attempt(
        progress=progress, number=progress.attempts_used + 1, key=secrets.token_urlsafe(24),
        placement_id=placement_id, paper=paper.to_dict(), lang=lang,
    )
    db.session.add(attempt)
    db.session.flush()
    log.info("attempt %s (#%s) drawn for progress %s", attempt.id, attempt.number, progress.id)
    return attempt


def discard_attempt(attempt: Attempt) -> None:
    """Drop an unsubmitted attempt whose time ran out: it used no attempt and leaves no score."""
    if attempt.submitted_at is not None:
        raise ValueError(f"attempt {attempt.id} was submitted; it cannot be discarded")
    log.info("attempt %s discarded: its time limit ran out", attempt.id)
    db.session.delete(attempt)
    db.session.flush()


def paper_of(attempt: Attempt) -> Paper:
    """The attempt's stored paper; QuizChanged when it no longer fits the quiz."""
    try:
        return Paper.from_dict(attempt.paper)
    except (StalePaper, KeyError, TypeError, ValueError):
        raise QuizChanged() from None


def _fits(quiz: Any, attempt: Attempt) -> bool:
    """Whether an open attempt's paper can still be shown (the quiz may have changed since)."""
    try:
        paper_view(quiz, Paper.from_dict(attempt.paper))
    except (StalePaper, KeyError, TypeError, ValueError):
        return False
    return True


def find_attempt_by_key(progress: Progress, key: str) -> Attempt:
    """The attempt a quiz form belongs to, only within this learner's progress; NotFound otherwise."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.progress_id == progress.id, Attempt.key == key))
    if attempt is None:
        raise NotFound(_l("This quiz form does not belong to your current attempt. Open the quiz again."))
    return attempt


def find_submitted_attempt(progress: Progress | None, attempt_id: int) -> Attempt:
    """One of this learner's scored attempts in this module; NotFound for anyone else's."""
    attempt = None
    if progress is not None:
        attempt = db.session.scalar(select(Attempt).where(
            Attempt.id == attempt_id, Attempt.progress_id == progress.id, Attempt.submitted_at.is_not(None)))
    if attempt is None:
        raise NotFound(_l("There is no such result among your attempts."))
    return attempt


def submitted_attempts(progress: Progress | None) -> list[Attempt]:
    if progress is None:
        return []
    return list(db.session.scalars(select(Attempt).where(
        Attempt.progress_id == progress.id, Attempt.submitted_at.is_not(None)).order_by(Attempt.number)))


def read_answers(module: Module, attempt: Attempt, form: Mapping[str, Any], *, allow_unanswered: bool) -> Answers:
    """Parse a submitted quiz form against the attempt's paper.

    Raises AnswerError (a value no honest form sends, naming the question), Unanswered (questions
    left blank and not confirmed), QuizChanged (the paper no longer fits the quiz;
    the next GET of the quiz draws a new one).
    """
    quiz = module.quiz(DEFAULT_LANG)
    if quiz is None:
        raise NoQuiz()
    paper = paper_of(attempt)
    try:
        answers = parse_answers(quiz, paper, form)
    except StalePaper:
        raise QuizChanged() from None
    missing = [n for n, qid in enumerate(paper.question_ids, 1) if answers.get(qid) is None]
    if missing and not allow_unanswered:
        raise Unanswered(missing)
    return answers


def submit_attempt(progress: Progress, module: Module, attempt: Attempt, answers: Answers) -> Submission:
    """Score an open attempt once and update progress; a second submission of it changes nothing.

    Sends `attempt_scored` (and `module_completed` when this attempt completes the module) inside
    the request's transaction, so receivers' rows commit with the attempt.
    """
    if attempt.submitted_at is not None:
        return Submission(attempt, replayed=True)
    if module.attempts and attempt.number > module.attempts:
        raise NoAttemptsLeft(module.attempts)
    quiz = module.quiz(DEFAULT_LANG)
    if quiz is None:
        raise NoQuiz()
    try:
        result = score(quiz, paper_of(attempt), answers, module.pass_mark)
    except StalePaper:
        raise QuizChanged() from None
    now = utcnow()
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None)).values(
            submitted_at=now, answers=_json(answers), question_points=_question_points(result),
            points=float(result.points), max_points=result.max_points, percent=float(result.percent),
            pass_mark=result.pass_mark, passed=result.passed),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(attempt)
    if not claimed:
        log.info("attempt %s was submitted twice: the second submission is ignored", attempt.id)
        return Submission(attempt, replayed=True)
    _lock(progress)
    _apply_score(progress, module, attempt, result)
    completed = _complete_if_met(progress, module, attempt=attempt)
    db.session.flush()
    log.info("attempt %s scored %.1f%% (%s) for progress %s", attempt.id, attempt.percent,
             "passed" if attempt.passed else "not passed", progress.id)
    # progress already says whether this attempt completed the module: one score can carry both
    attempt_scored.send(current_app._get_current_object(), attempt=attempt, progress=progress, module=module)
    if completed:
        _send_completed(progress, module, attempt=attempt)
    return Submission(attempt, replayed=False, completed_now=completed)


def _apply_score(progress: Progress, module: Module, attempt: Attempt, result: ScoreResult) -> None:
    percent = float(result.percent)
    progress.attempts_used = max(progress.attempts_used, attempt.number)
    progress.last_percent = percent
    improved = progress.best_percent is None or percent > progress.best_percent
    if improved:
        progress.best_percent = percent
    if module.grading is Grading.LAST:
        progress.score_percent = percent
        progress.passed = result.passed
    else:
        progress.score_percent = progress.best_percent
        progress.passed = progress.passed or result.passed


def _json(answers: Answers) -> dict[str, Any]:
    return {qid: list(v) if isinstance(v, tuple) else v for qid, v in answers.given.items()}


def stored_answers(attempt: Attempt) -> Answers:
    """The attempt's answers as the quiz engine reads them."""
    return Answers({qid: tuple(v) if isinstance(v, list) else v for qid, v in (attempt.answers or {}).items()})


def _question_points(result: ScoreResult) -> dict[str, float]:
    return {r.qid: float(r.earned) for r in result.questions}
