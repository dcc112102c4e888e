"""Owe a score to the LMS, see what is owed, and ask for it again. Plain functions; callers commit."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Iterable

from sqlalchemy import or_, select, update

from ..countries import label as country_label
from ..courses.language import LANGUAGE_NAMES_EN
from ..courses.models import Course, Participant, Placement
from ..extensions import db
from ..models_base import utcnow
from ..quizzes.scoring import display_percent
from .models import DeliveryStatus, GradeDelivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreReport:
    """What one attempt means for the gradebook column of its module."""

    module_id: str
    module_title: str
    points: Fraction | float
    max_points: Fraction | float
    completed: bool
    passed: bool
    country: str | None
    #: the pass mark the attempt was scored against (a score below it never shows as the pass mark)
    pass_mark: int | None = None
    #: the language the quiz was taken in (en, es, fr)
    language: str = "en"

    @property
    def percent(self) -> int:
        """The same whole percent the learner's result page shows."""
        if not self.max_points:
            return 0
        return display_percent(Fraction(self.points) * 100 / Fraction(self.max_points), self.pass_mark)


@dataclass(frozen=True)
class Column:
    """The course's grade column for a module: through its placement when one is known, else found
    through the AGS line items service by resourceId."""

    course_id: int
    module_id: str
    placement: Placement | None = None

    @classmethod
    def of(cls, placement: Placement) -> Column:
        return cls(placement.course_id, placement.module_id or "", placement)


def _number(value: Fraction | float) -> float | int:
    value = Fraction(value).limit_denominator(1000)
    return int(value) if value.denominator == 1 else round(float(value), 3)


def comment_for(report: ScoreReport) -> str:
    """The gradebook feedback: module, result, country — e.g.
    'm04 Gender and Migration — completed, 8/10 (80%), passed — Grenada (GD)', and
    'completed in Spanish' when the quiz was not taken in English (the comment itself is English)."""
    state = "completed" if report.completed else "submitted"
    if report.language != "en":
        state += f" in {LANGUAGE_NAMES_EN.get(report.language, report.language)}"
    result = "passed" if report.passed else "not passed"
    where = country_label(report.country) if report.country else "country not given"
    return (f"{report.module_id} {report.module_title} — {state}, {_number(report.points)}/"
            f"{_number(report.max_points)} ({report.percent}%), {result} — {where}")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def queue_score(column: Column | Placement, participant: Participant, report: ScoreReport, *,
                no_column: bool = False) -> GradeDelivery:
    """Write the score owed, in the caller's transaction. Older pending rows for the same column are superseded.

    The timestamp is fixed now and is strictly newer, to the second, than the last one sent to this
    column for this person: Moodle answers 409 to a timestamp that is not newer, and compares seconds.
    With `no_column`, the course has no column for the module yet: the row waits (NO_COLUMN) until
    a launch or a deep link gives the module a placement there (`requeue_waiting`).
    """
    if isinstance(column, Placement):
        column = Column.of(column)
    placement_id = column.placement.id if column.placement is not None else None
    module_of = (GradeDelivery.course_id == column.course_id, GradeDelivery.module_id == column.module_id,
                 GradeDelivery.participant_id == participant.id)
    now = utcnow().replace(microsecond=0)
    # newer than anything sent for this module and person: a column found by resourceId may be a
    # placement's column too
    last = db.session.scalar(
        select(GradeDelivery.score_timestamp).where(*module_of)
        .order_by(GradeDelivery.score_timestamp.desc()).limit(1)
    )
    stamp = max(now, last.replace(microsecond=0) + timedelta(seconds=1)) if last else now
    # a newer score replaces what still waits for this column, and what waited for any column
    same_column = GradeDelivery.placement_id.is_(None) if placement_id is None else or_(
        GradeDelivery.placement_id == placement_id, GradeDelivery.placement_id.is_(None))
    db.session.execute(
        update(GradeDelivery)
        .where(*module_of, same_column, GradeDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.NO_COLUMN)))
        .values(status=DeliveryStatus.SUPERSEDED, last_error="replaced by a newer score")
    )
    score = {
        "userId": participant.sub,
        "scoreGiven": _number(report.points),
        "scoreMaximum": _number(report.max_points),
        "activityProgress": "Completed" if report.completed else "Submitted",
        # never anything but FullyGraded: Moodle blanks the grade for any other status
        "gradingProgress": "FullyGraded",
        "timestamp": _iso(stamp),
        "comment": comment_for(report),
    }
    delivery = GradeDelivery(
        course_id=column.course_id, module_id=column.module_id,
        placement_id=placement_id,
        participant_id=participant.id, score=score, score_timestamp=stamp,
        status=DeliveryStatus.NO_COLUMN if no_column else DeliveryStatus.PENDING, next_attempt_at=utcnow(),
        last_error=NO_COLUMN_REASON if no_column else None,
    )
    db.session.add(delivery)
    db.session.flush()
    log.info("score owed: delivery %s course %s module %s placement %s participant %s%s", delivery.id,
             column.course_id, column.module_id, delivery.placement_id, participant.id,
             " (no grade column yet)" if no_column else "")
    return delivery


#: why a NO_COLUMN row waits, as facilitators and `grades status` show it
NO_COLUMN_REASON = "no gradebook column in this course"


def resend(deliveries: Iterable[GradeDelivery]) -> int:
    """Put failed, delivered or waiting rows back in the queue, now, keeping their score and timestamp.

    A row waiting for a column is looked up again (the LMS may have one now, by resourceId).
    """
    count = 0
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.SUPERSEDED:
            continue
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = utcnow()
        delivery.claimed_until = None
        delivery.last_error = None
        count += 1
    db.session.flush()
    return count


def latest_deliveries(course_id: int | None = None, *, status: DeliveryStatus | None = None) -> list[GradeDelivery]:
    """The newest delivery for each column and person, optionally one course and one status."""
    newest = (
        select(db.func.max(GradeDelivery.id).label("id"))
        .where(GradeDelivery.status != DeliveryStatus.SUPERSEDED)
        .group_by(GradeDelivery.course_id, GradeDelivery.module_id, GradeDelivery.participant_id,
                  GradeDelivery.placement_id)
        .subquery()
    )
    query = select(GradeDelivery).join(newest, GradeDelivery.id == newest.c.id)
    if course_id is not None:
        query = query.where(GradeDelivery.course_id == course_id)
    if status is not None:
        query = query.where(GradeDelivery.status == status)
    return list(db.session.scalars(query.order_by(GradeDelivery.id)))


def find_course(text: str) -> Course | None:
    """A course by our id, its LMS context id or its label (CLI convenience)."""
    if text.isdigit():
        found = db.session.get(Course, int(text))
        if found:
            return found
    return db.session.scalar(select(Course).where((Course.context_id == text) | (Course.label == text)).limit(1))
