"""A learner's quiz attempts as their facilitator may see them (only within the facilitator's course)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..courses.models import Participant
from ..errors import NotFound
from ..extensions import db
from ..progress.models import Attempt, Progress


@dataclass(frozen=True)
class AttemptLine:
    id: int
    module_id: str
    number: int
    percent: float | None
    passed: bool
    submitted_at: datetime


@dataclass(frozen=True)
class LearnerAttempt:
    attempt: Attempt
    module_id: str
    participant_id: int
    name: str


def attempts_of(course_id: int, participant_id: int) -> list[AttemptLine]:
    """Every submitted attempt of one learner in the course, by module and number."""
    return [AttemptLine(*row) for row in db.session.execute(
        select(Attempt.id, Progress.module_id, Attempt.number, Attempt.percent, Attempt.passed, Attempt.submitted_at)
        .join(Progress, Progress.id == Attempt.progress_id)
        .where(Progress.course_id == course_id, Progress.participant_id == participant_id,
               Attempt.submitted_at.is_not(None))
        .order_by(Progress.module_id, Attempt.number))]


def find_learner_attempt(course_id: int, participant_id: int, attempt_id: int) -> LearnerAttempt:
    """The attempt, when it is this learner's, submitted, in this course; NotFound for anything else."""
    row = db.session.execute(
        select(Attempt, Progress.module_id, Participant.name, Participant.sub)
        .join(Progress, Progress.id == Attempt.progress_id)
        .join(Participant, Participant.id == Progress.participant_id)
        .where(Attempt.id == attempt_id, Progress.course_id == course_id, Progress.participant_id == participant_id,
               Attempt.submitted_at.is_not(None))).first()
    if row is None:
        raise NotFound(_("There is no such attempt for this learner in this course."))
    attempt, module_id, name, sub = row
    return LearnerAttempt(attempt, module_id, participant_id, name or f"user {sub}")
