"""Deliver owed scores: claim due rows under a lease, post them, record the outcome.

Any number of workers (threads or processes, on any host) share the queue through the database:
PostgreSQL hands each due row to one worker (FOR UPDATE SKIP LOCKED); on SQLite the claim is an
UPDATE inside the single-writer lock. A lease (claimed_until) makes a row claimable again if its
worker dies mid-delivery; the score's fixed timestamp makes a second delivery harmless (409).
"""
from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import or_, select, update

from ..courses.models import Course, Placement
from ..extensions import db
from ..lti.claims import AgsScope
from ..models_base import utcnow
from ..lms.client import PlatformClient
from ..lms.errors import PlatformError, PlatformRejected, PlatformUnavailable
from ..lms.hosts import HostPolicy
from ..lms.tokens import TokenSource
from ..platforms.models import Platform
from ..monitoring import metrics
from ..monitoring.outages import service_down
from .lineitems import NoColumn, resolve_lineitem
from .models import DeliveryStatus, GradeDelivery

log = logging.getLogger(__name__)

#: seconds between two purges of expired launches and nonces
PURGE_EVERY = 600.0
#: seconds between two looks for quiz attempts past their deadline (scored as they stand)
DUE_EVERY = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter; Retry-After from the LMS wins when it asks for longer."""

    base: float = 2.0
    cap: float = 3600.0

    def delay(self, tries: int, retry_after: float | None = None) -> float:
        backoff = min(self.cap, self.base * (2 ** max(0, tries - 1)))
        jittered = random.uniform(backoff / 2, backoff)
        return max(jittered, retry_after or 0.0)


@dataclass
class Outcome:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    #: no grade column in the course yet: waiting for a launch or a deep link
    no_column: int = 0


class GradeWorker:
    def __init__(self, app: Flask, *, batch: int = 20, lease: float | None = None, policy: RetryPolicy | None = None,
                 name: str | None = None):
        self.app = app
        self.batch = batch
        self.lease = lease if lease is not None else app.config["EMM"].grade_lease
        self.policy = policy or RetryPolicy(app.config["EMM"].grade_retry_base, app.config["EMM"].grade_retry_cap)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"

    # -- claiming ----------------------------------------------------------------------------------

    def claim(self) -> tuple[str, list[int]]:
        """Lease up to `batch` due rows to this worker; returns (claim token, ids)."""
        token = f"{self.name}:{secrets.token_hex(4)}"
        with self.app.app_context():
            try:
                now = utcnow()
                due = (select(GradeDelivery.id)
                       .where(GradeDelivery.status == DeliveryStatus.PENDING, GradeDelivery.next_attempt_at <= now,
                              or_(GradeDelivery.claimed_until.is_(None), GradeDelivery.claimed_until < now))
                       .order_by(GradeDelivery.next_attempt_at, GradeDelivery.id).limit(self.batch))
                if db.engine.dialect.name == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                ids = list(db.session.scalars(due))
                if not ids:
                    db.session.commit()
                    return token, []
                db.session.execute(
                    update(GradeDelivery)
                    .where(GradeDelivery.id.in_(ids), GradeDelivery.status == DeliveryStatus.PENDING,
                           or_(GradeDelivery.claimed_until.is_(None), GradeDelivery.claimed_until < now))
                    .values(claimed_until=now + timedelta(seconds=self.lease), claimed_by=token)
                    .execution_options(synchronize_session=False)
                )
                db.session.commit()
                mine = list(db.session.scalars(select(GradeDelivery.id).where(GradeDelivery.claimed_by == token)
                                               .order_by(GradeDelivery.id)))
                db.session.commit()
                return token, mine
            finally:
                db.session.remove()

    # -- delivering --------------------------------------------------------------------------------

    def run_once(self) -> Outcome:
        """Claim a batch and deliver it; returns what happened."""
        outcome = Outcome()
        token, ids = self.claim()
        for delivery_id in ids:
            result = self.deliver(delivery_id, token)
            if result == DeliveryStatus.DELIVERED:
                outcome.delivered += 1
            elif result == DeliveryStatus.FAILED:
                outcome.failed += 1
            elif result == DeliveryStatus.PENDING:
                outcome.retried += 1
            elif result == DeliveryStatus.NO_COLUMN:
                outcome.no_column += 1
        return outcome

    def deliver(self, delivery_id: int, token: str) -> DeliveryStatus | None:
        with self.app.app_context():
            try:
                delivery = db.session.get(GradeDelivery, delivery_id)
                if delivery is None or delivery.claimed_by != token or delivery.status != DeliveryStatus.PENDING:
                    return None
                placement = db.session.get(Placement, delivery.placement_id) if delivery.placement_id else None
                course = db.session.get(Course, delivery.course_id)
                platform_id, module_id, known, tries = (course.platform_id, delivery.module_id,
                                                        delivery.lineitem_url, delivery.tries)
                policy = HostPolicy.for_platform(db.session.get(Platform, platform_id))
                score = dict(delivery.score)
                scopes = tuple(course.ags_scopes or (AgsScope.SCORE,))
                db.session.commit()  # no transaction stays open while we wait on the LMS

                error: PlatformError | NoColumn | None = None
                lineitem_url = None
                try:
                    client = PlatformClient(policy, TokenSource(self.app, platform_id))
                    lineitem_url = resolve_lineitem(client, course, module_id, placement, scopes,
                                                    known=known, tries=tries)
                    client.post_score(lineitem_url, score, scopes)
                except (PlatformError, NoColumn) as exc:
                    error = exc

                delivery = db.session.get(GradeDelivery, delivery_id, populate_existing=True)
                delivery.claimed_until = None
                delivery.tries += 1
                if placement is None and lineitem_url:
                    delivery.lineitem_url = lineitem_url
                if delivery.status == DeliveryStatus.SUPERSEDED:
                    pass  # a newer score replaced this one while it was being posted: keep that history
                elif error is None or (isinstance(error, PlatformRejected) and error.status == 409):
                    # 409: the LMS already has a score with this timestamp, so this one was applied before
                    delivery.status = DeliveryStatus.DELIVERED
                    delivery.delivered_at = utcnow()
                    delivery.last_error = None if error is None else "already applied (HTTP 409)"
                elif isinstance(error, NoColumn):
                    delivery.status = DeliveryStatus.NO_COLUMN
                    delivery.last_error = error.reason
                    log.info("delivery %s waits: %s", delivery_id, error.reason)
                elif isinstance(error, PlatformUnavailable):
                    wait = self.policy.delay(delivery.tries, error.retry_after)
                    delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
                    delivery.last_error = error.reason
                    log.info("delivery %s: LMS unavailable (%s), next try in %.1f s", delivery_id, error.reason, wait)
                else:
                    delivery.status = DeliveryStatus.FAILED
                    delivery.last_error = error.reason
                    log.warning("delivery %s failed for good: %s", delivery_id, error.reason)
                status, owed_since = delivery.status, delivery.created_at
                db.session.commit()
                metrics.delivery({DeliveryStatus.DELIVERED: "delivered", DeliveryStatus.PENDING: "retry",
                                  DeliveryStatus.FAILED: "failed", DeliveryStatus.NO_COLUMN: "no_column"}
                                 .get(status, "superseded"), owed_since)
                return status
            except Exception:
                db.session.rollback()
                log.exception("delivery %s: unexpected error; the lease will expire and it will be retried", delivery_id)
                return None
            finally:
                db.session.remove()

    # -- running -----------------------------------------------------------------------------------

    def next_due_in(self, idle: float) -> float:
        """Seconds until the next pending row is due, at most `idle` (a retry due sooner is not kept waiting)."""
        from sqlalchemy import func

        with self.app.app_context():
            try:
                due = db.session.scalar(select(func.min(GradeDelivery.next_attempt_at))
                                        .where(GradeDelivery.status == DeliveryStatus.PENDING))
            finally:
                db.session.remove()
        if due is None:
            return idle
        return min(idle, max(0.02, (due - utcnow()).total_seconds()))

    def purge(self) -> None:
        """Housekeeping between deliveries: expired launches, nonces and launch states, and participants
        past the retention period (EMM_RETENTION_DAYS)."""
        from ..maintenance import purge_expired
        from ..runtime import runtime

        with self.app.app_context():
            try:
                purged = purge_expired(self.app.config["EMM"].retention_days, store=runtime(self.app).state_store)
                db.session.commit()
                if purged.launches or purged.nonces or purged.participants or purged.states:
                    log.info("purged %d expired launches, %d nonces, %d launch states, %d participants past "
                             "retention", purged.launches, purged.nonces, purged.states, purged.participants)
            except Exception:
                db.session.rollback()
                log.exception("purge failed; will try again later")
            finally:
                db.session.remove()

    def score_due(self) -> int:
        """Score the quiz attempts whose deadline has passed (their scores then join the queue)."""
        from ..progress.services import score_due_attempts
        from ..runtime import runtime

        with self.app.app_context():
            try:
                scored = score_due_attempts(runtime(self.app).catalogue)
                db.session.commit()
                return scored
            except Exception:
                db.session.rollback()
                log.exception("scoring attempts past their deadline failed; will try again later")
                return 0
            finally:
                db.session.remove()

    def run(self, stop: threading.Event, idle: float = 1.0) -> None:
        """Work until `stop` is set: a full batch goes on at once, an empty one waits `idle` seconds."""
        log.info("grade worker %s started", self.name)
        next_purge = time.monotonic() + PURGE_EVERY
        next_due = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_purge:
                self.purge()
                next_purge = time.monotonic() + PURGE_EVERY
            if time.monotonic() >= next_due:
                self.score_due()
                next_due = time.monotonic() + DUE_EVERY
            try:
                outcome = self.run_once()
                busy = outcome.delivered + outcome.retried + outcome.failed + outcome.no_column
                pause = 0.0 if busy else self.next_due_in(idle)
            except Exception as exc:
                # the database restarting is an outage to wait out, not a reason to stop delivering
                if service_down(exc):
                    log.warning("grade worker %s: the %s is not answering; trying again in %g s", self.name,
                                service_down(exc).replace("_", " "), idle)
                else:
                    log.exception("grade worker %s: claim failed; retrying", self.name)
                pause = idle
            if pause:
                stop.wait(pause)
        log.info("grade worker %s stopped", self.name)


def start_embedded_worker(app: Flask, idle: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """The embedded default: a daemon thread inside the web process."""
    stop = threading.Event()
    worker = GradeWorker(app)
    thread = threading.Thread(target=worker.run, args=(stop, idle), name="emm-grade-worker", daemon=True)
    thread.start()
    return thread, stop
