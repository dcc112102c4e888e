"""Turn scored attempts and completions into owed scores and completion records (same transaction)."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ..attribution import Attribution, attribute
from ..courses.models import Completion, Course, Enrolment, Participant, Placement
from ..extensions import db
from ..signals import attempt_scored, module_completed
from .services import ScoreReport, queue_score

log = logging.getLogger(__name__)


def attribution_for(placement: Placement | None, participant: Participant, course_id: int) -> Attribution:
    """Country and agency of a completion in one course: what the LMS said in that course comes first."""
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.course_id == course_id, Enrolment.participant_id == participant.id))
    return attribute(
        activity_country=placement.country if placement else None,
        profile_country=enrolment.profile_country if enrolment else None,
        chosen_country=participant.chosen_country,
        agency=(enrolment.agency if enrolment else None) or participant.agency,
    )


def counted_attempt(progress: Any, module: Any, latest: Any) -> Any:
    """The attempt whose score the gradebook shows: the best one, or the latest, as the module says."""
    if getattr(module, "grading", "best") == "last" or latest is None:
        return latest
    submitted = [a for a in progress.attempts if a.submitted_at is not None and a.percent is not None]
    return max(submitted, key=lambda a: (a.percent, a.submitted_at), default=latest)


def _owe(progress: Any, module: Any, attempt: Any) -> None:
    placement: Placement | None = attempt.placement if attempt is not None else None
    if placement is None:
        return
    participant = db.session.get(Participant, progress.participant_id)
    course = db.session.get(Course, placement.course_id)
    role = db.session.scalar(select(Enrolment.role).where(
        Enrolment.course_id == course.id, Enrolment.participant_id == participant.id))
    if role != "learner":
        log.info("no grade sent for participant %s: role %s has no gradebook column", participant.id, role)
        return
    if not (placement.lineitem_url or course.lineitems_url):
        log.info("placement %s has no grade column (AGS off); completion kept here only", placement.id)
        return
    counted = counted_attempt(progress, module, attempt)
    queue_score(placement, participant, ScoreReport(
        module_id=module.id, module_title=module.title("en").text,
        points=counted.points or 0, max_points=counted.max_points or 0,
        completed=progress.completed_at is not None, passed=bool(counted.passed),
        country=attribution_for(placement, participant, course.id).country,
    ))


def on_attempt_scored(sender: Any, *, attempt: Any, progress: Any, module: Any, **_: Any) -> None:
    _owe(progress, module, attempt)


def on_module_completed(sender: Any, *, progress: Any, module: Any, attempt: Any = None, **_: Any) -> None:
    """Record the completion with its country; tell the gradebook the activity is now Completed."""
    latest = attempt or max((a for a in progress.attempts if a.submitted_at is not None),
                            key=lambda a: a.submitted_at, default=None)
    placement = latest.placement if latest is not None else None
    participant = db.session.get(Participant, progress.participant_id)
    who = attribution_for(placement, participant, progress.course_id)
    exists = db.session.scalar(select(Completion.id).where(
        Completion.course_id == progress.course_id, Completion.participant_id == participant.id,
        Completion.module_id == module.id))
    if exists is None:
        db.session.add(Completion(
            course_id=progress.course_id, participant_id=participant.id,
            placement_id=placement.id if placement else None, module_id=module.id,
            country=who.country, country_source=who.source, agency=who.agency,
            percent=int(progress.best_percent) if progress.best_percent is not None else None,
            passed=bool(progress.passed),
        ))
        db.session.flush()
        log.info("completion: participant %s module %s country %s (%s)", participant.id, module.id,
                 who.country, who.source)
    if attempt is None:
        _owe(progress, module, latest)  # completed by reading the last page: the status changes


def connect() -> None:
    """Subscribe once; blinker ignores a second connect of the same function."""
    attempt_scored.connect(on_attempt_scored)
    module_completed.connect(on_module_completed)
