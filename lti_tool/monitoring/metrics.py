"""Prometheus metrics (prometheus_client), off unless EMM_METRICS is on.

Code that has something to count calls the plain functions below; they do nothing while metrics are
off, so the rest of the tool never imports prometheus_client. Under gunicorn the web workers write
their counters to files in a folder of the instance folder (multiprocess mode, set up by
`server.prepare_metrics_dir`) and /metrics adds every worker's up. An `emm-lti worker` process keeps
its own and serves them with `--metrics-port`. The grade queue's depth and age are read from the
database when scraped, so every process reports the same, true figures.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any, Iterator

log = logging.getLogger(__name__)

#: seconds: request latency (a page is a few ms, a launch tens of ms, a slow LMS seconds)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: seconds from a score's attempt to the LMS accepting it: seconds when all is well, hours in an outage
DELIVERY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Histogram("emm_http_request_duration_seconds", "Time to answer a request, by endpoint",
                                  ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=r)
        self.launches = Counter("emm_launches_total", "LTI launches by outcome (accepted, refused, unavailable, error)",
                                ["outcome"], registry=r)
        self.refusals = Counter("emm_refusals_total", "Requests refused with a 4xx, by reason", ["reason"], registry=r)
        self.unavailable = Counter("emm_unavailable_total", "Requests answered 503 because a service was down",
                                   ["service"], registry=r)
        self.deliveries = Counter("emm_grade_deliveries_total", "Score posts to LMSs by outcome "
                                  "(delivered, retry, failed)", ["outcome"], registry=r)
        self.delivery_seconds = Histogram("emm_grade_delivery_seconds", "Seconds from a score being owed to "
                                          "the LMS accepting it", buckets=DELIVERY_BUCKETS, registry=r)
        self.tokens = Counter("emm_lms_token_requests_total", "Access token requests to LMSs by outcome (ok, error)",
                              ["outcome"], registry=r)


_metrics: _Metrics | None = None
_lock = threading.Lock()


def enable() -> None:
    """Create the metrics in this process (idempotent); called by the app factory when EMM_METRICS is on."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = _Metrics()


def enabled() -> bool:
    return _metrics is not None


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# -- what the rest of the tool calls --------------------------------------------------------------

def request_done(endpoint: str, method: str, status: int, seconds: float) -> None:
    m = _metrics
    if m is None:
        return
    m.requests.labels(endpoint, method, f"{status // 100}xx").observe(seconds)
    if endpoint == "lti.launch" and method == "POST":
        m.launches.labels(_launch_outcome(status)).inc()


def _launch_outcome(status: int) -> str:
    if status < 400:
        return "accepted"
    if status == 503:
        return "unavailable"
    return "refused" if status < 500 else "error"


def refused(reason: str) -> None:
    if _metrics is not None:
        _metrics.refusals.labels(reason).inc()


def unavailable(service: str) -> None:
    if _metrics is not None:
        _metrics.unavailable.labels(service).inc()


def delivery(outcome: str, owed_since: datetime | None = None) -> None:
    m = _metrics
    if m is None:
        return
    m.deliveries.labels(outcome).inc()
    if outcome == "delivered" and owed_since is not None:
        since = owed_since if owed_since.tzinfo else owed_since.replace(tzinfo=timezone.utc)
        m.delivery_seconds.observe(max(0.0, (datetime.now(timezone.utc) - since).total_seconds()))


def token_request(ok: bool) -> None:
    if _metrics is not None:
        _metrics.tokens.labels("ok" if ok else "error").inc()


# -- scraping -------------------------------------------------------------------------------------

class QueueCollector:
    """The grade outbox read at scrape time: scores owed and failed, and how long the oldest owed one waits."""

    def __init__(self, app: Any):
        self.app = app

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily
        from sqlalchemy import func, select

        from ..extensions import db
        from ..grades.models import DeliveryStatus, GradeDelivery
        from ..models_base import utcnow

        up = GaugeMetricFamily("emm_database_up", "1 when the database answered this scrape")
        try:
            with self.app.app_context():
                try:
                    counts = dict(db.session.execute(
                        select(GradeDelivery.status, func.count())
                        .where(GradeDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)))
                        .group_by(GradeDelivery.status)).all())
                    oldest = db.session.scalar(select(func.min(GradeDelivery.created_at))
                                               .where(GradeDelivery.status == DeliveryStatus.PENDING))
                    db.session.rollback()
                finally:
                    db.session.remove()
        except Exception as exc:  # noqa: BLE001 - a scrape during an outage still answers
            log.warning("metrics: cannot read the grade queue: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("emm_grade_queue", "Scores in the outbox by status (pending: owed to an LMS)",
                                  labels=["status"])
        for status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
            depth.add_metric([status.value], counts.get(status, 0))
        yield depth
        age = 0.0
        if oldest is not None:
            age = max(0.0, (utcnow() - oldest).total_seconds())
        yield GaugeMetricFamily("emm_grade_oldest_owed_seconds", "Age of the oldest score still owed to an LMS "
                                "(0 when none is)", value=age)


class _Own:
    """This process's own metrics, for a registry built per scrape."""

    def collect(self) -> Iterator[Any]:
        if _metrics is not None:
            yield from _metrics.registry.collect()


def exposition(app: Any, *, queue: bool = True) -> tuple[bytes, str]:
    """The text a scraper reads: every worker's metrics (multiprocess mode) or this process's, and the queue."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.MultiProcessCollector(registry)
    else:
        registry.register(_Own())  # type: ignore[arg-type]
    if queue:
        registry.register(QueueCollector(app))  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
