"""What the learner templates show, built from content and progress rows (no request parsing here).

The rules (what counts as seen, completed, passed) live in `lti_tool.progress.services`; this
module only arranges what those rules produced into view models for the templates.
"""
from __future__ import annotations

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
from ..content.schema import ShowAnswers
from ..countries import normalize_country
from ..courses.models import Enrolment
from ..errors import BadRequest
from ..extensions import db
from ..lti.roles import Access
from ..models_base import utcnow
from ..content.schema import DEFAULT_LANG
from ..progress import services as progress_services
from ..progress.models import Attempt, AttemptGrant, Progress
from ..quizzes.engine import AnswerError, Paper, QuestionResult, StalePaper, score
from ..quizzes.scoring import display_percent

#: languages a learner can switch the interface to, each named in its own language
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français"}

#: how the interface names a content language ("not available in Spanish")
LANGUAGE_LABELS = {"en": _l("English"), "es": _l("Spanish"), "fr": _l("French")}

SECTION_LABELS = {
    Section.FOUNDATIONS: _l("Foundations"),
    Section.POLICY_CYCLE: _l("The migration policy cycle"),
    Section.THEMATIC: _l("Thematic modules"),
}


def shown_percent(percent: float | None, pass_mark: int | None) -> int | None:
    """A stored percentage as every page shows it (`display_percent`: rounded, never a hidden fail)."""
    return None if percent is None else display_percent(percent, pass_mark)


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
class HistoryEntry:
    """A line of the learner's quiz history: an attempt, or more attempts a facilitator gave."""

    when: Any
    attempt: Attempt | None = None
    grant: AttemptGrant | None = None


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
    #: attempts and grants, oldest first
    history: list[HistoryEntry] = field(default_factory=list)
    #: what completing the module takes, each with its done / not-done state
    requirements: list[progress_services.Requirement] = field(default_factory=list)

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
        return shown_percent(self.progress.best_percent, self.module.pass_mark) if self.progress else None

    @property
    def score_percent(self) -> int | None:
        return shown_percent(self.progress.score_percent, self.module.pass_mark) if self.progress else None

    @property
    def locked_out(self) -> bool:
        """Every attempt used without passing: only a facilitator can give another one."""
        return self.has_quiz and self.attempts_left == 0 and not (self.progress and self.progress.passed)

    @property
    def missing(self) -> list[str]:
        """The kinds of requirement not done yet: pages, quiz."""
        return [r.kind for r in self.requirements if not r.done]

    @property
    def quiz_to_take(self) -> bool:
        """Passing the quiz is still needed for completion, and an attempt is left to do it."""
        return "quiz" in self.missing and self.attempts_left != 0

    @property
    def first_unread(self) -> Page | None:
        read = set(self.progress.pages_read or ()) if self.progress else set()
        return next((p for p in self.pages if p.id not in read), None)

    def page_after(self, page: Page) -> Page | None:
        return self.pages[page.index + 1] if page.index + 1 < len(self.pages) else None

    def page_before(self, page: Page) -> Page | None:
        return self.pages[page.index - 1] if page.index > 0 else None


def outline(module: Module, lang: str, progress: Progress | None, *, with_attempts: bool = False,
            opening: str | None = None) -> Outline:
    """The module in `lang` with the learner's progress; `opening` is a page being opened now."""
    pages, pages_lang = module.pages(lang)
    read = set(progress.pages_read or ()) if progress else set()
    toc = [TocEntry(p.id, p.title, p.index + 1, p.id in read) for p in pages]
    has_quiz = module.quiz(DEFAULT_LANG) is not None
    resume = None
    last = opening or (progress.last_page_id if progress is not None else None)
    if last:
        resume = next((p for p in pages if p.id == last), None)
    steps = Steps(
        pages_read=len(read & set(progress_services.page_ids(module))), pages_total=len(pages),
        quiz_counts=has_quiz and module.completion.value != "pages",
        passed=bool(progress and progress.passed),
    )
    attempts = progress_services.submitted_attempts(progress) if with_attempts else []
    history: list[HistoryEntry] = []
    if with_attempts and progress is not None:
        history = sorted([HistoryEntry(a.submitted_at, attempt=a) for a in attempts]
                         + [HistoryEntry(g.created_at, grant=g) for g in progress.grants], key=lambda e: e.when)
    return Outline(
        module=module, lang=lang, pages=pages, pages_lang=pages_lang, toc=toc, progress=progress,
        steps=steps, has_quiz=has_quiz, attempts_left=progress_services.attempts_left(progress, module),
        resume_page=resume, attempts=attempts, history=history,
        requirements=progress_services.requirements(progress, module),
    )


def after_last_page(outline: Outline) -> str:
    """Where "Next" on the last page leads: `quiz` while passing it is still to do (and possible), else
    `overview` (never "Take the quiz" once the module is completed or the quiz passed)."""
    if outline.has_quiz and outline.quiz_to_take and not (outline.progress and outline.progress.completed):
        return "quiz"
    return "overview"


def answers_shown(module: Module, outline: Outline) -> bool:
    """Whether result pages may show the right answers, per the module's `show_answers`: always; once
    the learner has passed (after_pass); once they have passed or have no attempt left (the default)."""
    if module.show_answers is ShowAnswers.ALWAYS:
        return True
    passed = any(a.passed for a in outline.attempts) or bool(outline.progress and outline.progress.passed)
    if module.show_answers is ShowAnswers.AFTER_PASS:
        return passed
    return passed or outline.attempts_left == 0


def answers_later(module: Module) -> str:
    """What the result page says while it keeps the right answers back."""
    if module.show_answers is ShowAnswers.AFTER_PASS:
        return _("The correct answers are shown once you pass the quiz. Your own answers and the feedback "
                 "on them are below.")
    return _("The correct answers are shown once you pass the quiz or have used your last attempt. Your own "
             "answers and the feedback on them are below.")


def safe_next(target: str | None, prefix: str, default: str) -> str:
    """A redirect target only when it is a path inside this launch (no other site, no other launch)."""
    if not target:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        # CR/LF would end the Location header: a refusal, not a server error
        raise BadRequest(_("The page to go back to is not a valid address. Open the activity again from your LMS."))
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
    `asks_country()`), for staff the module's class or the module list; None when there is nothing
    to show a learner.

    The launch redirects straight here (from what it just wrote) and the learner home (`/l/<ref>/`)
    does too (from the rows), so both decide alike and a learner's browser makes one request fewer.
    """
    if deep_link:
        return url_for("facilitator.deep_link", ref=ref)
    module = catalogue.get(module_id) if module_id else None
    if module is not None and access >= Access.FACILITATOR:
        # a facilitator opening an activity lands on its class; "see as a learner" is one click away
        return url_for("facilitator.module_class", ref=ref, module_id=module.id)
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


def lms_agency(launch: Any) -> str | None:
    """The agency the LMS gives for this launch (custom `agency`), if it gives one."""
    from ..attribution import substituted
    from ..lti.claims import Claim

    custom = (launch.claims or {}).get(Claim.CUSTOM)
    return substituted(custom.get("agency")) if isinstance(custom, dict) else None


def save_about_you(participant: Any, country: str | None, agency: str | None) -> None:
    """Keep the learner's answer; an empty answer is an answer too (we do not ask again). `agency` is
    None when it was not asked (the LMS gives one)."""
    participant.chosen_country = normalize_country(country)
    if agency and agency.strip():
        participant.agency = agency.strip()[:120]
    participant.country_asked_at = utcnow()
    db.session.flush()
