"""A module's quiz in a course as its facilitator runs it: open or closed for the group, and its time limit.

What a facilitator decides during a live session: whether learners may start the quiz, how long an
attempt may last, and the extra minutes given to everyone. An attempt under a time limit is due at
its deadline (plus GRACE): `Attempt.due_at`, which the learner's next visit and the grade worker
already honour by scoring the attempt from the answers saved by then (progress.services.settle).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from flask_babel import lazy_gettext as _l

from ..errors import Conflict
from ..extensions import db
from ..models_base import UTCDateTime, utcnow

log = logging.getLogger(__name__)

#: a submission this long after the deadline is still counted (the network, a slow phone)
GRACE = timedelta(seconds=60)
#: the time limits a facilitator may set, in minutes
TIME_LIMITS = (5, 10, 15, 20, 30, 45, 60, 90)
#: the most extra minutes a group may get in all
MAX_EXTRA_MINUTES = 120


class CourseModule(db.Model):
    """One module of one course: the facilitator's quiz settings for it (a row once someone set one)."""

    __tablename__ = "course_module"
    __table_args__ = (UniqueConstraint("course_id", "module_id", name="uq_course_module"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(32))
    #: learners cannot start a new quiz attempt while this is set
    quiz_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: minutes an attempt may last (None: no limit)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: minutes added to every attempt's limit by "extend time"
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: when the time limit was set: attempts drawn earlier count from here
    time_limit_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: when the quiz was last opened, closed or given time
    quiz_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class QuizGate:
    """What a learner may do with a module's quiz in a course right now."""

    closed: bool = False
    time_limit_minutes: int | None = None
    extra_minutes: int = 0
    time_limit_set_at: datetime | None = None

    def deadline(self, attempt_created_at: datetime) -> datetime | None:
        """When an attempt drawn at `attempt_created_at` must be submitted; None without a limit."""
        if self.time_limit_minutes is None:
            return None
        start = max(attempt_created_at, self.time_limit_set_at or attempt_created_at)
        return start + timedelta(minutes=self.time_limit_minutes + self.extra_minutes)

    def too_late(self, attempt_created_at: datetime, now: datetime) -> bool:
        deadline = self.deadline(attempt_created_at)
        return deadline is not None and now > deadline + GRACE


OPEN = QuizGate()


class TimeRanOut(Conflict):
    """Answers sent for an attempt after its time limit (and its grace): they are not saved."""

    title = _l("Time ran out")

    def __init__(self) -> None:
        super().__init__(_l("Time ran out for this attempt: the answers saved before it ended are the "
                            "ones that count."))


def due_at(attempt: Any, gate: QuizGate, module: Any) -> datetime | None:
    """When an open attempt is scored as it stands: the earlier of the module's own deadline
    (`deadline_hours`) and the facilitator's time limit plus GRACE."""
    own = attempt.created_at + timedelta(hours=module.deadline_hours) if getattr(module, "deadline_hours", None) \
        else None
    limit = gate.deadline(attempt.created_at)
    candidates = [moment for moment in (own, limit + GRACE if limit else None) if moment is not None]
    return min(candidates) if candidates else None


def apply_time_limit(attempt: Any, gate: QuizGate, module: Any) -> None:
    """Give a drawn attempt the due time the gate asks for (nothing changes without a limit)."""
    if gate.time_limit_minutes is None or attempt.submitted_at is not None:
        return
    due = due_at(attempt, gate, module)
    if attempt.due_at != due:
        attempt.due_at = due
        db.session.flush()


def sync_open_attempts(course_id: int, module: Any) -> int:
    """After the limit changed: every open attempt of the module in the course gets its new due time."""
    from ..progress.models import Attempt, Progress

    gate = quiz_gate(course_id, module.id)
    attempts = list(db.session.scalars(select(Attempt).join(Progress, Progress.id == Attempt.progress_id).where(
        Progress.course_id == course_id, Progress.module_id == module.id, Attempt.submitted_at.is_(None))))
    for attempt in attempts:
        attempt.due_at = due_at(attempt, gate, module)
    db.session.flush()
    return len(attempts)


def find(course_id: int, module_id: str) -> CourseModule | None:
    return db.session.scalar(select(CourseModule).where(
        CourseModule.course_id == course_id, CourseModule.module_id == module_id))


def get_or_create(course_id: int, module_id: str) -> CourseModule:
    """The row, created when missing (a concurrent insert of the same row is harmless)."""
    found = find(course_id, module_id)
    if found is not None:
        return found
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(CourseModule).values(
        course_id=course_id, module_id=module_id, quiz_closed=False, extra_minutes=0, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["course_id", "module_id"]))
    found = find(course_id, module_id)
    assert found is not None
    return found


def quiz_gate(course_id: int | None, module_id: str) -> QuizGate:
    """The quiz's state for learners of a course (open, no limit, when nobody set anything)."""
    if course_id is None:
        return OPEN
    row = db.session.execute(select(
        CourseModule.quiz_closed, CourseModule.time_limit_minutes, CourseModule.extra_minutes,
        CourseModule.time_limit_set_at,
    ).where(CourseModule.course_id == course_id, CourseModule.module_id == module_id)).first()
    if row is None:
        return OPEN
    return QuizGate(bool(row[0]), row[1], row[2] or 0, row[3])


def set_quiz_open(course_id: int, module_id: str, is_open: bool) -> CourseModule:
    row = get_or_create(course_id, module_id)
    row.quiz_closed = not is_open
    row.quiz_changed_at = utcnow()
    db.session.flush()
    log.info("course %s module %s: quiz %s", course_id, module_id, "opened" if is_open else "closed")
    return row


def set_time_limit(course_id: int, module_id: str, minutes: int | None) -> CourseModule:
    """A new limit (or none) for attempts; it counts from now for attempts already open."""
    if minutes is not None and minutes not in TIME_LIMITS:
        raise ValueError(f"time limit {minutes!r} is not one of {TIME_LIMITS}")
    row = get_or_create(course_id, module_id)
    now = utcnow()
    row.time_limit_minutes = minutes
    row.time_limit_set_at = now if minutes is not None else None
    row.extra_minutes = 0
    row.quiz_changed_at = now
    db.session.flush()
    log.info("course %s module %s: quiz time limit %s", course_id, module_id, minutes)
    return row


def extend_time(course_id: int, module_id: str, minutes: int) -> CourseModule:
    """Give every attempt of the group `minutes` more (up to MAX_EXTRA_MINUTES in all)."""
    row = get_or_create(course_id, module_id)
    if row.time_limit_minutes is None:
        raise ValueError("this quiz has no time limit to extend")
    row.extra_minutes = min(MAX_EXTRA_MINUTES, (row.extra_minutes or 0) + minutes)
    row.quiz_changed_at = utcnow()
    db.session.flush()
    log.info("course %s module %s: %s extra minutes in all", course_id, module_id, row.extra_minutes)
    return row
