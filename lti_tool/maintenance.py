"""Keep only what is needed: expired launches and nonces go; a participant's data can be exported or erased.

IOM's data protection principles ask for a specified purpose, retention limits, and access and
erasure on request; completion reporting needs no launch once it has expired. With
`EMM_RETENTION_DAYS` set, a participant not seen for that long is erased as on request (their
grades already sit in the LMS gradebook; a score still waiting for delivery keeps them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from .courses.models import Completion, Course, Enrolment, Participant
from .errors import NotFound
from .extensions import db
from .gain.models import Certificate, CourseTest
from .grades.models import DeliveryStatus, GradeDelivery
from .lti.models import Launch, UsedNonce
from .models_base import utcnow
from .platforms.models import Platform
from .progress.models import Attempt, AttemptGrant, Progress
from .state_store import StateStore


@dataclass(frozen=True)
class Purged:
    launches: int
    nonces: int
    participants: int = 0
    states: int = 0


def purge_expired(retention_days: int = 0, batch: int = 500, store: StateStore | None = None) -> Purged:
    """Delete launches whose reference can no longer be used and nonces past their token's expiry,
    and expired entries of the launch state store (login states, cached rosters with names and
    emails); with `retention_days`, erase up to `batch` participants not seen for longer than that."""
    now = utcnow()
    states = store.prune() if store is not None else 0
    launches = db.session.execute(delete(Launch).where(Launch.expires_at < now)).rowcount
    nonces = db.session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now)).rowcount
    erased = 0
    if retention_days > 0:
        owed = select(GradeDelivery.id).where(GradeDelivery.participant_id == Participant.id,
                                              GradeDelivery.status == DeliveryStatus.PENDING)
        stale = db.session.scalars(select(Participant).where(
            Participant.last_seen_at < now - timedelta(days=retention_days), ~owed.exists()).limit(batch))
        for participant in list(stale):
            erase_participant(participant, store)
            erased += 1
    db.session.flush()
    return Purged(launches or 0, nonces or 0, erased, states)


def find_participant(issuer: str, sub: str) -> Participant:
    found = db.session.scalar(select(Participant).join(Platform, Platform.id == Participant.platform_id)
                              .where(Platform.issuer == issuer, Participant.sub == sub))
    if found is None:
        raise NotFound(f"no participant with user id {sub!r} at {issuer!r}")
    return found


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, *skip: str) -> dict[str, Any]:
    return {c.key: _iso(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


def export_participant(participant: Participant) -> dict[str, Any]:
    """Everything stored about one person, as JSON-ready data."""
    courses = {c.id: c for c in db.session.scalars(select(Course).join(Enrolment).where(
        Enrolment.participant_id == participant.id))}
    progress = list(db.session.scalars(select(Progress).where(Progress.participant_id == participant.id)))
    return {
        "participant": _row(participant),
        "courses": [{"id": c.id, "context_id": c.context_id, "title": c.title} for c in courses.values()],
        "enrolments": [_row(e) for e in db.session.scalars(select(Enrolment).where(Enrolment.participant_id == participant.id))],
        "progress": [_row(p) for p in progress],
        "attempts": [_row(a, "paper") for a in db.session.scalars(select(Attempt).where(
            Attempt.progress_id.in_([p.id for p in progress])))],
        "attempts_granted": [_row(g) for g in db.session.scalars(select(AttemptGrant).where(
            AttemptGrant.progress_id.in_([p.id for p in progress])))],
        "completions": [_row(c) for c in db.session.scalars(select(Completion).where(Completion.participant_id == participant.id))],
        "grades_sent": [_row(g, "claimed_by", "claimed_until") for g in db.session.scalars(
            select(GradeDelivery).where(GradeDelivery.participant_id == participant.id))],
        "knowledge_checks": [_row(t) for t in db.session.scalars(select(CourseTest).where(
            CourseTest.participant_id == participant.id))],
        "certificates": [_row(c) for c in db.session.scalars(select(Certificate).where(
            Certificate.participant_id == participant.id))],
        # the launches still kept: their claims hold custom values, the context and return URLs
        "launches": [_row(launch) for launch in db.session.scalars(
            select(Launch).where(Launch.participant_id == participant.id).order_by(Launch.created_at))],
    }


def erase_participant(participant: Participant, store: StateStore | None = None) -> None:
    """Delete the person and every row about them, and the cached LMS rosters of their courses
    (those hold everyone's names and emails; the next dashboard reads the roster again)."""
    participant_id = participant.id
    if store is not None:
        for course_id in db.session.scalars(select(Enrolment.course_id).where(Enrolment.participant_id == participant_id)):
            store.pop(f"roster:{course_id}")
    progress_ids = select(Progress.id).where(Progress.participant_id == participant_id)
    for statement in (
        delete(Attempt).where(Attempt.progress_id.in_(progress_ids)),
        delete(AttemptGrant).where(AttemptGrant.progress_id.in_(progress_ids)),
        # attempts this person gave as a facilitator stay in the learners' history, without the link
        update(AttemptGrant).where(AttemptGrant.granted_by_id == participant_id).values(granted_by_id=None),
        delete(Progress).where(Progress.participant_id == participant_id),
        delete(Completion).where(Completion.participant_id == participant_id),
        # a certificate erased verifies as unknown from then on
        delete(Certificate).where(Certificate.participant_id == participant_id),
        delete(CourseTest).where(CourseTest.participant_id == participant_id),
        delete(GradeDelivery).where(GradeDelivery.participant_id == participant_id),
        delete(Launch).where(Launch.participant_id == participant_id),
        delete(Enrolment).where(Enrolment.participant_id == participant_id),
        delete(Participant).where(Participant.id == participant_id),
    ):  # explicit, so it does not depend on the database enforcing ON DELETE CASCADE
        db.session.execute(statement)
    db.session.flush()
