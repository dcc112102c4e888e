"""Progress and attempt rules as plain functions: pages seen, drawing and scoring attempts, completion.

Services only flush; the request hook commits. Two requests of one learner may race (a double
click, two tabs): every write to a progress row first takes a lock on it (`_lock`), and a submitted
attempt is claimed with a conditional UPDATE, so a double-submitted form records one attempt and
sends one `attempt_scored` signal on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select, update

from ..content import CompletionRule, Grading, Module
from ..content.schema import DEFAULT_LANG
from ..courses.models import Enrolment
from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..lti.roles import Access
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
from .models import Attempt, AttemptGrant, Progress

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


class AttemptClosed(Conflict):
    """Answers sent for an attempt that is already scored (another tab, a double click)."""

    title = _l("This attempt is already submitted")

    def __init__(self) -> None:
        super().__init__(_l("This attempt was already submitted, so these answers were not saved. "
                            "Its result is kept."))


class GrantRefused(BadRequest):
    """More attempts cannot be given here; the message says why."""


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


def record_page_view(progress: Progress, module: Module, page_id: str) -> None:
    """Remember a page as opened and as the page to resume at (opening a page is not reading it)."""
    if progress.last_page_id == page_id and progress.has_seen(page_id):
        touch(progress, "page")
        return
    if progress.has_seen(page_id):
        # only plain values change (no list to extend): one UPDATE at the flush, no lock and re-read
        progress.last_page_id, progress.location, progress.last_seen_at = page_id, "page", utcnow()
        return
    _lock(progress)
    if not progress.has_seen(page_id):
        progress.pages_seen = [*(progress.pages_seen or []), page_id]
    progress.last_page_id = page_id
    progress.location = "page"


def record_page_read(progress: Progress, module: Module, page_id: str) -> bool:
    """Count a page as read (the learner reached its end); True when this completed the module."""
    if progress.has_read(page_id) and progress.has_seen(page_id):
        return False
    _lock(progress)
    if not progress.has_seen(page_id):
        progress.pages_seen = [*(progress.pages_seen or []), page_id]
    if not progress.has_read(page_id):
        progress.pages_read = [*(progress.pages_read or []), page_id]
        log.info("progress %s: page %s read", progress.id, page_id)
    completed = _complete_if_met(progress, module, attempt=None)
    if completed:
        _send_completed(progress, module, attempt=None)
    return completed


@dataclass(frozen=True)
class Requirement:
    """One thing the module's completion rule asks for, and whether the learner has done it."""

    #: pages | quiz
    kind: str
    done: bool
    #: pages: pages read; quiz: 1 when passed
    count: int
    total: int


def requirements(progress: Progress | None, module: Module) -> list[Requirement]:
    """What completing this module takes (per its rule), each with its done / not-done state."""
    ids = page_ids(module)
    has_quiz = module.quiz(DEFAULT_LANG) is not None
    need_pages = module.completion in (CompletionRule.PAGES_AND_QUIZ, CompletionRule.PAGES) and bool(ids)
    need_quiz = module.completion in (CompletionRule.PAGES_AND_QUIZ, CompletionRule.QUIZ) and has_quiz
    found: list[Requirement] = []
    if need_pages:
        read = len(set(progress.pages_read or ()) & set(ids)) if progress is not None else 0
        found.append(Requirement("pages", read == len(ids), read, len(ids)))
    if need_quiz:
        passed = bool(progress is not None and progress.passed)
        found.append(Requirement("quiz", passed, int(passed), 1))
    return found


def completion_met(progress: Progress, module: Module) -> bool:
    """Whether the module's completion rule (pages_and_quiz | quiz | pages) is satisfied.

    An outline (no pages, no quiz) has nothing to do yet, so nothing to complete.
    """
    needed = requirements(progress, module)
    return bool(needed) and all(r.done for r in needed)


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

def attempts_allowed(progress: Progress | None, module: Module) -> int | None:
    """Attempts the learner may submit in all: the module's, plus any a facilitator granted; None: any number."""
    if module.attempts == 0:
        return None
    return module.attempts + (progress.attempts_granted if progress is not None else 0)


def attempts_left(progress: Progress | None, module: Module) -> int | None:
    """Attempts the learner may still submit; None when the module allows any number."""
    allowed = attempts_allowed(progress, module)
    if allowed is None:
        return None
    used = progress.attempts_used if progress is not None else 0
    return max(0, allowed - used)


def seen_questions(progress: Progress) -> list[str]:
    """Ids of the questions of this learner's earlier attempts, for the draw to prefer new ones."""
    seen: list[str] = []
    for attempt in progress.attempts:
        for question in (attempt.paper or {}).get("questions", ()):
            if isinstance(question, dict) and question.get("id") not in seen:
                seen.append(question["id"])
    return seen


#: "not looked up yet" for the functions that take the open attempt a view already has
UNKNOWN: Any = object()


def open_attempt_of(progress: Progress) -> Attempt | None:
    """The drawn, not yet submitted attempt, if any."""
    return db.session.scalar(select(Attempt).where(
        Attempt.progress_id == progress.id, Attempt.submitted_at.is_(None)))


def open_attempt(progress: Progress, module: Module, *, lang: str, placement_id: int | None,
                 known: Attempt | None = UNKNOWN) -> Attempt:
    """The learner's open attempt, or a newly drawn one; NoAttemptsLeft when none may be drawn.

    The same open attempt comes back on every reload, so its paper never changes under the learner.
    `known` is `open_attempt_of(progress)` when the caller has just read it (saves the query).
    """
    quiz = module.quiz(DEFAULT_LANG)
    if quiz is None:
        raise NoQuiz()
    attempt = open_attempt_of(progress) if known is UNKNOWN else known
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
        raise NoAttemptsLeft(attempts_allowed(progress, module) or 0)
    paper = draw_paper(quiz, secrets.randbits(31), seen=seen_questions(progress))
    now = utcnow()
    attempt = Attempt(
        progress=progress, number=progress.attempts_used + 1, key=secrets.token_urlsafe(24),
        placement_id=placement_id, paper=paper.to_dict(), lang=lang, created_at=now,
        due_at=now + timedelta(hours=module.deadline_hours) if module.deadline_hours else None,
    )
    db.session.add(attempt)
    db.session.flush()
    log.info("attempt %s (#%s) drawn for progress %s", attempt.id, attempt.number, progress.id)
    return attempt


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
    """Parse a submitted quiz form against the attempt's paper, filling its blanks from the saved answers.

    A question left blank in this form keeps the answer saved for it (from another tab or device),
    so a submit never loses an answer the server has. Raises AnswerError (a value no honest form
    sends, naming the question), Unanswered (questions still without an answer, not confirmed),
    QuizChanged (the paper no longer fits the quiz; the next GET of the quiz draws a new one).
    """
    answers = parse_form(module, attempt, form)
    merged = Answers({**stored_answers(attempt, draft=True).given, **answers.given})
    missing = [n for n, qid in enumerate(paper_of(attempt).question_ids, 1) if merged.get(qid) is None]
    if missing and not allow_unanswered:
        raise Unanswered(missing)
    return merged


def parse_form(module: Module, attempt: Attempt, form: Mapping[str, Any]) -> Answers:
    """The answers a quiz form (or part of one) gives, in content ids; AnswerError / QuizChanged as above."""
    quiz = module.quiz(DEFAULT_LANG)
    if quiz is None:
        raise NoQuiz()
    paper = paper_of(attempt)
    try:
        return parse_answers(quiz, paper, form)
    except StalePaper:
        raise QuizChanged() from None


def save_draft(attempt: Attempt, answers: Answers, covered: Collection[str] | None = None) -> None:
    """Merge answers into the open attempt's saved answers, question by question.

    `covered` names the questions this save speaks for: one of them without an answer is cleared
    (the learner unticked every box). With None, only answered questions are written, so a whole
    form saved without JavaScript never erases what another tab saved. The attempt's row is locked
    first and the save is refused once the attempt is scored, so two tabs never lose an answer and
    a late save never touches a result.
    """
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(draft_saved_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(attempt)
    if not claimed:
        raise AttemptClosed()
    draft = dict(attempt.draft or {})
    given = _json(answers)
    for qid in (given if covered is None else covered):
        if qid in given:
            draft[qid] = given[qid]
        else:
            draft.pop(qid, None)
    attempt.draft = draft
    db.session.flush()


def hold_open_attempt(attempt: Attempt) -> bool:
    """Lock an open attempt's row for this transaction (a save in another tab then waits, and its answer
    is read with the rest); False when the attempt was scored meanwhile."""
    held = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(draft_saved_at=Attempt.draft_saved_at),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.refresh(attempt)
    return bool(held)


def request_submit(attempt: Attempt, answers: Answers) -> None:
    """A submit that came after the launch expired: keep its answers; score them when the learner is back."""
    save_draft(attempt, answers)
    if attempt.submit_requested_at is None:
        attempt.submit_requested_at = utcnow()
    db.session.flush()
    log.info("attempt %s: submitted after the launch expired; answers kept for scoring", attempt.id)


def settle(progress: Progress | None, module: Module, known: Attempt | None = UNKNOWN) -> Attempt | None:
    """Score the open attempt from its saved answers when it is due: the learner submitted it after
    their launch had expired, or its deadline passed. Returns the attempt scored now, if any.
    `known` is `open_attempt_of(progress)` when the caller has just read it (saves the query)."""
    if progress is None:
        return None
    attempt = open_attempt_of(progress) if known is UNKNOWN else known
    if attempt is None or not is_due(attempt):
        return None
    try:
        submission = submit_attempt(progress, module, attempt, stored_answers(attempt, draft=True))
    except (QuizChanged, NoAttemptsLeft, NoQuiz) as exc:
        # it cannot be scored as it stands: it stays open (the quiz draws anew if it changed), not due
        log.warning("attempt %s could not be scored from its saved answers: %s", attempt.id, exc.message)
        attempt.due_at = attempt.submit_requested_at = None
        db.session.flush()
        return None
    return None if submission.replayed else submission.attempt


def score_due_attempts(catalogue: Any, limit: int = 50) -> int:
    """Score the open attempts whose deadline (`deadline_hours`) has passed, from their saved answers
    (the grade worker runs this). Returns how many were scored."""
    due = list(db.session.scalars(select(Attempt).where(
        Attempt.submitted_at.is_(None), Attempt.due_at.is_not(None), Attempt.due_at <= utcnow())
        .order_by(Attempt.due_at).limit(limit)))
    scored = 0
    for attempt in due:
        module = catalogue.get(attempt.progress.module_id)
        if module is not None and settle(attempt.progress, module) is not None:
            scored += 1
            log.info("attempt %s scored at its deadline", attempt.id)
    return scored


def is_due(attempt: Attempt) -> bool:
    """The attempt waits to be scored from its saved answers (a late submit, or its deadline passed)."""
    if attempt.submitted_at is not None:
        return False
    return attempt.submit_requested_at is not None or (attempt.due_at is not None and attempt.due_at <= utcnow())


def submit_attempt(progress: Progress, module: Module, attempt: Attempt, answers: Answers) -> Submission:
    """Score an open attempt once and update progress; a second submission of it changes nothing.

    Sends `attempt_scored` (and `module_completed` when this attempt completes the module) inside
    the request's transaction, so receivers' rows commit with the attempt.
    """
    if attempt.submitted_at is not None:
        return Submission(attempt, replayed=True)
    allowed = attempts_allowed(progress, module)
    if allowed is not None and attempt.number > allowed:
        raise NoAttemptsLeft(allowed)
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
            submitted_at=now, answers=_json(answers), draft=None, question_points=_question_points(result),
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


def stored_answers(attempt: Attempt, *, draft: bool = False) -> Answers:
    """The attempt's answers (or, with `draft`, its saved answers) as the quiz engine reads them."""
    data = attempt.draft if draft else attempt.answers
    return Answers({qid: tuple(v) if isinstance(v, list) else v for qid, v in (data or {}).items()})


def _question_points(result: ScoreResult) -> dict[str, float]:
    return {r.qid: float(r.earned) for r in result.questions}


# -- more attempts, given by a facilitator --------------------------------------------------------

GRANT_EXTRA, GRANT_RESET = "extra", "reset"


def _check_grantable(module: Module) -> None:
    if module.quiz(DEFAULT_LANG) is None:
        raise GrantRefused(_("Module %(id)s has no quiz, so there are no attempts to give.", id=module.id))
    if module.attempts == 0:
        raise GrantRefused(_("Module %(id)s allows any number of attempts already.", id=module.id))


def learner_progress(course_id: int, participant_id: int, module: Module) -> Progress:
    """A learner's progress in a module of a course, for giving attempts; GrantRefused naming what is
    missing (a quiz with limited attempts, a learner of the course, the module started)."""
    _check_grantable(module)
    role = db.session.scalar(select(Enrolment.role).where(Enrolment.course_id == course_id,
                                                          Enrolment.participant_id == participant_id))
    if role is None:
        raise NotFound(_("There is no such learner in this course."))
    if role != Access.LEARNER.label:
        raise GrantRefused(_("This person is not a learner of this course (their role: %(role)s).", role=role))
    found = find_progress(course_id, participant_id, module.id)
    if found is None:
        raise GrantRefused(_("This learner has not started module %(id)s: all its attempts are still open "
                             "to them.", id=module.id))
    return found


def grants_of(course_id: int, participant_id: int) -> list[AttemptGrant]:
    """Every attempt grant of one learner in one course, oldest first."""
    return list(db.session.scalars(select(AttemptGrant).join(Progress, Progress.id == AttemptGrant.progress_id)
                                   .where(Progress.course_id == course_id, Progress.participant_id == participant_id)
                                   .order_by(AttemptGrant.id)))


def grant_attempts(progress: Progress, module: Module, *, kind: str, reason: str, by_name: str,
                   by_id: int | None = None) -> AttemptGrant:
    """Give a learner one more attempt (`extra`) or the module's full number again (`reset`).

    Earlier attempts and scores are kept (the best still counts). `by_name` is who gave it as the
    history shows it ("" for the command line). GrantRefused when the module has no quiz or no
    limit, or a reset would add nothing.
    """
    _check_grantable(module)
    if kind not in (GRANT_EXTRA, GRANT_RESET):
        raise GrantRefused(_("Choose one more attempt or a reset."))
    _lock(progress)
    added = 1 if kind == GRANT_EXTRA else progress.attempts_used - progress.attempts_granted
    if added <= 0:
        raise GrantRefused(_("This learner has not used any attempt since the last reset: they already have "
                             "all %(num)s attempts.", num=module.attempts))
    progress.attempts_granted += added
    grant = AttemptGrant(progress_id=progress.id, kind=kind, attempts_added=added, reason=reason.strip()[:500],
                         granted_by=by_name[:255], granted_by_id=by_id)
    db.session.add(grant)
    db.session.flush()
    log.info("progress %s: %s grant of %d attempt(s) by %s", progress.id, kind, added,
             f"participant {by_id}" if by_id else "the command line")
    return grant
