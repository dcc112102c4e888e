"""What the learner templates show, built from content and progress rows (no request parsing here).

The rules (what counts as seen, completed, passed) live in `lti_tool.progress.services`; this
module only arranges what those rules produced into view models for the templates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable
from fractions import Fraction
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..content import Module, Page, QuestionType, Section
from ..attribution import asks_country
from ..countries import normalize_country
from ..courses.models import Enrolment
from ..extensions import db
from ..lti.roles import Access
from ..models_base import utcnow
from ..content.schema import DEFAULT_LANG
from ..progress import services as progress_services
from ..progress.models import Attempt, Progress
from ..quizzes.engine import AnswerError, Paper, QuestionResult, StalePaper, score

#: languages a learner can switch the interface to, each named in its own language
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français"}

#: how the interface names a content language ("not available in Spanish")
LANGUAGE_LABELS = {"en": _l("English"), "es": _l("Spanish"), "fr": _l("French")}

SECTION_LABELS = {
    Section.FOUNDATIONS: _l("Foundations"),
    Section.POLICY_CYCLE: _l("The migration policy cycle"),
    Section.THEMATIC: _l("Thematic modules"),
}


def percent_display(percent: float | None) -> int | None:
    """Whole percent, rounded down so a shown pass mark is never a hidden fail."""
    return None if percent is None else math.floor(percent + 1e-9)


# -- overview and pages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TocEntry:
    id: str
    title: str
    number: int
    seen: bool


@dataclass(frozen=True)
class Steps:
    """The module's progress as steps: each page is one, a quiz to pass is one more."""

    pages_read: int
    pages_total: int
    quiz_counts: bool
    passed: bool

    @property
    def total(self) -> int:
        return self.pages_total + (1 if self.quiz_counts else 0)

    @property
    def done(self) -> int:
        return self.pages_read + (1 if self.quiz_counts and self.passed else 0)


@dataclass(frozen=True)
class Outline:
    """A module as the learner sees it in their language: pages, and what they have done."""

    module: Module
    lang: str
    pages: list[Page]
    #: the language the pages are really in (English when not translated)
    pages_lang: str
    toc: list[TocEntry]
    progress: Progress | None
    steps: Steps
    has_quiz: bool
    attempts_left: int | None
    resume_page: Page | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def fallback(self) -> bool:
        return bool(self.pages) and self.pages_lang != self.lang

    @property
    def status(self) -> str:
        """not_started | in_progress | completed"""
        if self.progress is None:
            return "not_started"
        return "completed" if self.progress.completed else "in_progress"

    @property
    def best_percent(self) -> int | None:
        return percent_display(self.progress.best_percent) if self.progress else None

    @property
    def score_percent(self) -> int | None:
        return percent_display(self.progress.score_percent) if self.progress else None

    def page_after(self, page: Page) -> Page | None:
        return self.pages[page.index + 1] if page.index + 1 < len(self.pages) else None

    def page_before(self, page: Page) -> Page | None:
        return self.pages[page.index - 1] if page.index > 0 else None


def outline(module: Module, lang: str, progress: Progress | None, *, with_attempts: bool = False,
            also_seen: str | None = None) -> Outline:
    """The module in `lang` with the learner's progress; `also_seen` is a page being opened now."""
    pages, pages_lang = module.pages(lang)
    seen = set(progress.pages_seen or ()) if progress else set()
    if also_seen:
        seen.add(also_seen)
    toc = [TocEntry(p.id, p.title, p.index + 1, p.id in seen) for p in pages]
    has_quiz = module.quiz(DEFAULT_LANG) is not None
    resume = None
    last = also_seen or (progress.last_page_id if progress is not None else None)
    if last:
        resume = next((p for p in pages if p.id == last), None)
    steps = Steps(
        pages_read=len(seen & set(progress_services.page_ids(module))), pages_total=len(pages),
        quiz_counts=has_quiz and module.completion.value != "pages",
        passed=bool(progress and progress.passed),
    )
    return Outline(
        module=module, lang=lang, pages=pages, pages_lang=pages_lang, toc=toc, progress=progress,
        steps=steps, has_quiz=has_quiz, attempts_left=progress_services.attempts_left(progress, module),
        resume_page=resume,
        attempts=progress_services.submitted_attempts(progress) if with_attempts else [],
    )


def safe_next(target: str | None, prefix: str, default: str) -> str:
    """A redirect target only when it is a path inside this launch (no other site, no other launch)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix) or "\\" in target or "//" in parts.path:
        return default
    return target


# -- result review --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewRow:
    """One line of a matching or ordering question: what the learner gave and what was expected."""

    label: str
    given: str | None
    expected: str
    correct: bool


@dataclass(frozen=True)
class ReviewItem:
    number: int
    type: QuestionType
    prompt: str
    earned: Fraction
    max: int
    #: correct | partial | incorrect | unanswered
    status: str
    given: list[str]
    expected: list[str]
    rows: list[ReviewRow]
    feedback: list[str]
    explanation: str


@dataclass(frozen=True)
class Review:
    lang: str
    items: list[ReviewItem]


def review(module: Module, attempt: Attempt, lang: str) -> Review | None:
    """Per-question feedback for a scored attempt, in `lang` when the quiz is translated.

    The stored score is what counts; this re-reads the stored paper and answers only to explain
    it. None when the quiz has changed so much that the paper no longer fits it.
    """
    quiz = module.quiz(lang)
    if quiz is None:
        return None
    try:
        paper = Paper.from_dict(attempt.paper)
        result = score(quiz, paper, progress_services.stored_answers(attempt), module.pass_mark)
    except (StalePaper, KeyError, TypeError, ValueError):
        return None
    items = []
    for pq, r in zip(paper.questions, result.questions):
        q = quiz.question(pq.id)
        assert q is not None
        items.append(_item(q, pq, r))
    return Review(quiz.lang, items)


def _status(r: QuestionResult) -> str:
    if r.given is None:
        return "unanswered"
    if r.correct:
        return "correct"
    return "partial" if r.earned > 0 else "incorrect"


def _item(q, pq, r: QuestionResult) -> ReviewItem:
    given: list[str] = []
    expected: list[str] = []
    rows: list[ReviewRow] = []
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        chosen = {r.given} if isinstance(r.given, str) else set(r.given or ())
        by_id = {o.id: o for o in q.options}
        given = [by_id[oid].text for oid in pq.options if oid in chosen]
        expected = [by_id[oid].text for oid in pq.options if by_id[oid].correct]
    elif q.type is QuestionType.TRUE_FALSE:
        given = [] if r.given is None else [_("True") if r.given else _("False")]
        expected = [_("True") if q.answer else _("False")]
    elif q.type is QuestionType.MATCHING:
        pairs = {p.id: p for p in q.pairs}
        chosen = r.given if isinstance(r.given, dict) else {}
        for pid in pq.left:
            picked = chosen.get(pid)
            rows.append(ReviewRow(pairs[pid].left, pairs[picked].right if picked in pairs else None,
                                  pairs[pid].right, picked == pid))
    elif q.type is QuestionType.ORDERING:
        placed = r.given if isinstance(r.given, dict) else {}
        for n, item in enumerate(q.items, 1):
            at = placed.get(item.id)
            rows.append(ReviewRow(item.text, str(at) if at else None, str(n), at == n))
    return ReviewItem(
        number=r.number, type=q.type, prompt=q.prompt, earned=r.earned, max=r.max, status=_status(r),
        given=given, expected=expected, rows=rows, feedback=r.feedback, explanation=r.explanation,
    )


def answer_problem(exc: AnswerError) -> str:
    """What was wrong with a submitted answer, in the learner's language, naming the question."""
    problems = {
        "too_many": _("choose only one answer."),
        "duplicate_position": _("each position can be given to only one item."),
    }
    problem = problems.get(exc.code, _("this answer is not one of the choices shown. Reload the quiz and answer again."))
    if exc.number:
        return _("Question %(n)s: %(problem)s", n=exc.number, problem=problem)
    return _("The form: %(problem)s", problem=problem)


def landing_url(ref: str, *, deep_link: bool, access: Access, module_id: str | None, catalogue: Any,
                asks_country: Callable[[], bool]) -> str | None:
    """Where a launch belongs: the deep linking picker, its module (after the country question when
    `asks_country()`), or, for staff, the module list; None when there is nothing to show a learner.

    The launch redirects straight here (from what it just wrote) and the learner home (`/l/<ref>/`)
    does too (from the rows), so both decide alike and a learner's browser makes one request fewer.
    """
    if deep_link:
        return url_for("facilitator.deep_link", ref=ref)
    module = catalogue.get(module_id) if module_id else None
    if module is not None:
        target = url_for("learner.module", ref=ref, module_id=module.id)
        if access == Access.LEARNER and asks_country():
            return url_for("learner.about_you", ref=ref, next=target)
        return target
    if access >= Access.FACILITATOR:
        return url_for("facilitator.catalogue", ref=ref, unknown=module_id or "")
    return None


def needs_country_question(launch: Any) -> bool:
    """attribution.asks_country for a launch's participant, placement and enrolment."""
    participant, placement = launch.participant, launch.placement
    if participant is None:
        return False
    known = {"asked": participant.country_asked_at is not None, "chosen_country": participant.chosen_country,
             "activity_country": placement.country if placement is not None else None}
    if not asks_country(**known, profile_country=None):
        return False  # settled without reading this course's enrolment
    return asks_country(**known, profile_country=db.session.scalar(select(Enrolment.profile_country).where(
        Enrolment.course_id == launch.course_id, Enrolment.participant_id == participant.id)))


def save_about_you(participant: Any, country: str | None, agency: str | None) -> None:
    """Keep the learner's answer; an empty answer is an answer too (we do not ask again)."""
    participant.chosen_country = normalize_country(country)
    if agency and agency.strip():
        participant.agency = agency.strip()[:120]
    participant.country_asked_at = utcnow()
    db.session.flush()
