"""Where one learner is in one module, as a facilitator says it: a status in words, never a code.

`Cell` is built from column tuples (a course of 500 people x 20 modules has 10,000 of them), so it
is a slotted dataclass and its status is worked out once, in `settle`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..content.schema import CompletionRule


class Status(enum.StrEnum):
    """Ordered from "nothing yet" to "done"; the CSS class of each is `st-<value>`."""

    NOT_STARTED = "not_started"
    READING = "reading"
    QUIZ_OPEN = "quiz_open"
    SUBMITTED = "submitted"
    FAILED = "failed"
    NO_ATTEMPTS = "no_attempts"
    PASSED = "passed"
    COMPLETED = "completed"


#: the status names as a legend and a filter show them
STATUS_LABELS = {
    Status.NOT_STARTED: _l("Not started"),
    Status.READING: _l("Reading"),
    Status.QUIZ_OPEN: _l("Quiz in progress"),
    Status.SUBMITTED: _l("Quiz submitted"),
    Status.FAILED: _l("Failed, attempts left"),
    Status.NO_ATTEMPTS: _l("No attempts left"),
    Status.PASSED: _l("Passed, pages left to read"),
    Status.COMPLETED: _l("Completed"),
}


@dataclass(slots=True)
class Delivery:
    id: int
    status: str
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@dataclass(slots=True)
class Cell:
    """One learner in one module of one course."""

    pages_total: int
    status: Status = Status.NOT_STARTED
    #: the page the learner is on (1-based; 0 before the first page)
    page: int = 0
    pages_read: int = 0
    attempts_used: int = 0
    #: attempts a facilitator gave beyond the module's (one more, or a reset)
    attempts_granted: int = 0
    #: None: as many as they like
    attempts_left: int | None = None
    quiz_open: bool = False
    #: the score that counts for the gradebook (best or last attempt), whole percent rounded down
    score: int | None = None
    passed: bool = False
    completed: bool = False
    #: the country this result counts for (the completion's, else the one it would count for now)
    country: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    last_seen_at: datetime | None = None
    location: str | None = None
    delivery: Delivery | None = None
    #: a progress row exists (the learner opened a page or the quiz)
    begun: bool = False
    #: the language the module was completed in (None until completed, or not recorded)
    language: str | None = None

    @property
    def started(self) -> bool:
        return self.status is not Status.NOT_STARTED

    @property
    def took_quiz(self) -> bool:
        return self.attempts_used > 0

    @property
    def locked(self) -> bool:
        """Every attempt used without passing: only a facilitator can give another."""
        return self.status is Status.NO_ATTEMPTS


class Rates:
    """Completion and pass rates of anything that counts results, completions, quiz takers and passes."""

    results: int
    completed: int
    took_quiz: int
    passed: int

    @property
    def completion_rate(self) -> int | None:
        """Completed among all results, in whole percent."""
        return round(100 * self.completed / self.results) if self.results else None

    @property
    def pass_rate(self) -> int | None:
        """Passed among those who submitted the quiz at least once."""
        return round(100 * self.passed / self.took_quiz) if self.took_quiz else None


def attempts_left(used: int, module: Any, granted: int = 0) -> int | None:
    """Attempts a learner may still submit (None: any number): the module's, plus any a facilitator
    gave (progress.services.attempts_allowed says the same for one progress row)."""
    if not module.attempts:
        return None
    return max(0, module.attempts + granted - used)


def settle(cell: Cell, module: Any, quiz_counts: bool) -> None:
    """Work out the cell's status from what its columns say (see Status for the order)."""
    if cell.completed:
        cell.status = Status.COMPLETED
    elif cell.quiz_open:
        cell.status = Status.QUIZ_OPEN
    elif cell.attempts_used:
        cell.attempts_left = attempts_left(cell.attempts_used, module, cell.attempts_granted)
        if not quiz_counts:
            cell.status = Status.SUBMITTED
        elif cell.passed:
            cell.status = Status.PASSED
        elif cell.attempts_left == 0:
            cell.status = Status.NO_ATTEMPTS
        else:
            cell.status = Status.FAILED
    elif cell.begun:
        cell.status = Status.READING
    if cell.attempts_left is None and cell.attempts_used == 0:
        cell.attempts_left = attempts_left(0, module, cell.attempts_granted)


def quiz_counts_for(module: Any) -> bool:
    """Whether passing the quiz is part of completing the module."""
    return module.completion in (CompletionRule.PAGES_AND_QUIZ, CompletionRule.QUIZ)


def words(cell: Cell) -> str:
    """The status in a sentence a facilitator reads aloud: "failed, 2 attempts left (40%)"."""
    score = f" ({cell.score}%)" if cell.score is not None else ""
    if cell.status is Status.COMPLETED:
        return _("completed") + score
    if cell.status is Status.QUIZ_OPEN:
        return _("quiz in progress")
    if cell.status is Status.SUBMITTED:
        return _("quiz submitted") + score
    if cell.status is Status.PASSED:
        return _("passed, %(read)d of %(total)d pages read", read=cell.pages_read, total=cell.pages_total) + score
    if cell.status is Status.NO_ATTEMPTS:
        return _("failed, no attempts left") + score
    if cell.status is Status.FAILED:
        if cell.attempts_left is None:
            return _("failed, may try again") + score
        return ngettext("failed, %(num)d attempt left", "failed, %(num)d attempts left", cell.attempts_left) + score
    if cell.status is Status.READING:
        if cell.pages_total and cell.page:
            return _("reading page %(page)d of %(total)d", page=cell.page, total=cell.pages_total)
        return _("started")
    return _("not started")


def short_words(cell: Cell) -> str:
    """A grid cell's few words ("failed · 2 left 40%"), read with the legend of STATUS_LABELS."""
    score = f" {cell.score}%" if cell.score is not None else ""
    if cell.status is Status.COMPLETED:
        return _("done") + score
    if cell.status is Status.QUIZ_OPEN:
        return _("quiz")
    if cell.status is Status.SUBMITTED:
        return _("sent") + score
    if cell.status is Status.PASSED:
        return _("passed") + score
    if cell.status is Status.NO_ATTEMPTS:
        return _("no tries") + score
    if cell.status is Status.FAILED:
        return (_("failed") if cell.attempts_left is None
                else ngettext("failed · %(num)d left", "failed · %(num)d left", cell.attempts_left)) + score
    if cell.status is Status.READING:
        return _("p. %(page)d/%(total)d", page=cell.page, total=cell.pages_total) if cell.page else _("started")
    return "–"
