"""Turn scored attempts and completions into owed scores and completion records (same transaction).

A score is owed to the course's grade column for the module that was done, wherever the learner
did it (a page of m01 links to m02, so an m02 attempt can be taken inside m01's activity). The
country it counts for follows the placement whose column receives it: the completion row, the
gradebook comment and the admin report say the same.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, or_, select

from ..attribution import Attribution, attribute
from ..courses.language import quiz_language, taken_in
from ..courses.models import Completion, Course, Enrolment, Participant, Placement
from ..courses.placements import module_placement
from ..extensions import db
from ..lti.roles import Access
from ..progress.models import Progress
from ..quizzes.scoring import display_percent
from ..signals import attempt_scored, module_completed, placement_launched
from .models import DeliveryStatus, GradeDelivery
from .services import Column, ScoreReport, queue_score

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


def latest_attempt(progress: Any) -> Any:
    return max((a for a in progress.attempts if a.submitted_at is not None), key=lambda a: a.submitted_at,
               default=None)


def column_of(progress: Any, module: Any, attempt: Any) -> Column:
    """The course's column for the module; the attempt's own placement first, when it is the module's."""
    preferred = attempt.placement if attempt is not None else None
    return Column(progress.course_id, module.id, module_placement(progress.course_id, module.id, preferred))


def _counted_for(progress: Any, module: Any, participant: Participant, placement: Placement | None) -> Attribution:
    """The country the score counts for. A completion keeps the one it recorded, unless the score now
    goes to another placement's column: then the completion follows that placement."""
    who = attribution_for(placement, participant, progress.course_id)
    completion = db.session.scalar(select(Completion).where(
        Completion.course_id == progress.course_id, Completion.participant_id == participant.id,
        Completion.module_id == module.id))
    if completion is None:
        return who
    placement_id = placement.id if placement is not None else None
    if completion.placement_id == placement_id:
        return Attribution(completion.country, completion.country_source, completion.agency)
    log.info("completion %s now counts for placement %s (was %s): country %s (%s)", completion.id, placement_id,
             completion.placement_id, who.country, who.source)
    completion.placement_id, completion.country, completion.country_source = placement_id, who.country, who.source
    return who


def owe(progress: Any, module: Any, attempt: Any) -> GradeDelivery | None:
    """Queue the counted score for the course's column of the module; None when nothing is owed
    (staff launches, or no scored attempt yet)."""
    participant = db.session.get(Participant, progress.participant_id)
    course = db.session.get(Course, progress.course_id)
    role = db.session.scalar(select(Enrolment.role).where(
        Enrolment.course_id == course.id, Enrolment.participant_id == participant.id))
    if role != Access.LEARNER.label:
        log.info("no grade sent for participant %s: role %s has no gradebook column", participant.id, role)
        return None
    counted = counted_attempt(progress, module, attempt)
    if counted is None:
        return None
    column = column_of(progress, module, attempt)
    who = _counted_for(progress, module, participant, column.placement)
    reachable = (column.placement is not None and column.placement.lineitem_url) or course.lineitems_url
    return queue_score(column, participant, ScoreReport(
        module_id=module.id, module_title=module.title("en").text,
        points=counted.points or 0, max_points=counted.max_points or 0,
        completed=progress.completed_at is not None, passed=bool(counted.passed),
        country=who.country, pass_mark=counted.pass_mark, language=quiz_language(module, counted),
    ), no_column=not reachable)


def requeue_waiting(course_id: int, module_id: str, catalogue: Any) -> int:
    """Owe again the scores that wait for a column of this module in this course (a launch or a deep
    link has just given it a placement), and those still queued for a look-up by resourceId: the new
    row goes to that placement, with its country."""
    module = catalogue.get(module_id)
    waiting = db.session.scalars(select(GradeDelivery.participant_id).where(
        GradeDelivery.course_id == course_id, GradeDelivery.module_id == module_id,
        or_(GradeDelivery.status == DeliveryStatus.NO_COLUMN,
            and_(GradeDelivery.status == DeliveryStatus.PENDING, GradeDelivery.placement_id.is_(None)))
    ).distinct()).all()
    if module is None or not waiting:
        return 0
    count = 0
    for progress in db.session.scalars(select(Progress).where(
            Progress.course_id == course_id, Progress.module_id == module_id, Progress.participant_id.in_(waiting))):
        latest = latest_attempt(progress)
        if owe(progress, module, latest) is not None:
            count += 1
    log.info("course %s module %s: %d waiting score(s) owed again", course_id, module_id, count)
    return count


def column_appeared(placement: Placement, catalogue: Any) -> int:
    """A launch came through `placement`, or a deep link made it: the scores waiting for a column of
    its module in its course are owed to it now (when the LMS gives it a way to a column)."""
    if not placement.module_id:
        return 0
    course = db.session.get(Course, placement.course_id)
    if not (placement.lineitem_url or course.lineitems_url):
        return 0
    return requeue_waiting(course.id, placement.module_id, catalogue)


def on_attempt_scored(sender: Any, *, attempt: Any, progress: Any, module: Any, **_: Any) -> None:
    owe(progress, module, attempt)


def on_module_completed(sender: Any, *, progress: Any, module: Any, attempt: Any = None, **_: Any) -> None:
    """Record the completion with its country; tell the gradebook the activity is now Completed."""
    latest = attempt or latest_attempt(progress)
    placement = column_of(progress, module, latest).placement
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
            percent=display_percent(progress.best_percent, module.pass_mark)
            if progress.best_percent is not None else None,
            passed=bool(progress.passed), language=taken_in(module, latest, participant),
        ))
        db.session.flush()
        log.info("completion: participant %s module %s country %s (%s)", participant.id, module.id,
                 who.country, who.source)
    if attempt is None:
        owe(progress, module, latest)  # completed by reading the last page: the status changes


def on_placement_launched(sender: Any, *, placement_id: int, **_: Any) -> None:
    """A launch came through an activity of a module: scores waiting for its column are owed to it."""
    from ..runtime import runtime

    placement = db.session.get(Placement, placement_id)
    if placement is not None:
        column_appeared(placement, runtime(sender).catalogue)


def connect() -> None:
    """Subscribe once; blinker ignores a second connect of the same function."""
    attempt_scored.connect(on_attempt_scored)
    module_completed.connect(on_module_completed)
    placement_launched.connect(on_placement_launched)
