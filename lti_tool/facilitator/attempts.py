"""A learner's quiz attempts as their facilitator sees them (within the facilitator's course only), and
more attempts given from the facilitator pages, with the reason kept.

The rule of a grant (what it adds, when it is refused) is `progress.services.grant_attempts`, shared
with `emm-lti attempts grant|reset`; this only checks the course and names the facilitator.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..courses.models import Course, Participant
from ..errors import NotFound
from ..extensions import db
from ..progress import services as progress
from ..progress.models import Attempt, AttemptGrant, Progress

log = logging.getLogger(__name__)


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


def grant_in_course(course: Course, participant_id: int, module_id: str, *, kind: str, reason: str,
                    facilitator: Participant | None, catalogue: Any) -> AttemptGrant:
    """One more attempt (`extra`) or a reset, for a learner of `course`; NotFound for anyone else's."""
    module = catalogue.get(module_id)
    if module is None:
        raise NotFound(f"There is no module {module_id!r} in this curriculum.")
    mine = progress.learner_progress(course.id, participant_id, module)
    by_name = (facilitator.name or f"user {facilitator.sub}") if facilitator is not None else ""
    grant = progress.grant_attempts(mine, module, kind=kind, reason=reason, by_name=by_name,
                                    by_id=facilitator.id if facilitator is not None else None)
    log.info("course %s: %s attempt grant for participant %s in %s", course.id, kind, participant_id, module_id)
    return grant
