"""`emm-lti grades status|resend` and `emm-lti worker`."""
from __future__ import annotations

import signal
import threading
from typing import Any

import click

from ..extensions import db
from .models import DeliveryStatus


def describe(delivery: Any) -> str:
    """One line a person can act on: who, which column, and delivered / pending (next try) / failed (reason)."""
    who = delivery.participant.name or f"user {delivery.participant.sub}"
    course = delivery.course
    named = " ".join(part for part in (course.label, course.title and f"“{course.title}”") if part)
    where = f"{delivery.module_id or '?'} in {named or f'course {course.id}'}"
    if delivery.status == DeliveryStatus.DELIVERED:
        state = f"delivered {delivery.delivered_at:%Y-%m-%d %H:%M:%S}"
    elif delivery.status == DeliveryStatus.PENDING:
        state = f"pending, try {delivery.tries + 1} at {delivery.next_attempt_at:%Y-%m-%d %H:%M:%S}"
        if delivery.last_error:
            state += f" (last: {delivery.last_error})"
    elif delivery.status == DeliveryStatus.NO_COLUMN:
        state = f"waiting: {delivery.last_error}"
    else:
        state = f"failed: {delivery.last_error}"
    return f"{delivery.id}\t{who}\t{where}\t{delivery.score.get('scoreGiven')}/{delivery.score.get('scoreMaximum')}\t{state}"


def register(main: click.Group, with_database: Any, emm_errors: Any, fail: Any) -> None:
    @main.group("grades")
    def grades_group() -> None:
        """Scores owed to LMS gradebooks: see them, send them again."""

    @grades_group.command("status")
    @click.option("--course", default=None, help="Course label (e.g. TRAIN101), LMS context id or the tool's id.")
    @click.option("--failed", "only_failed", is_flag=True, help="Only failed deliveries.")
    @with_database
    @emm_errors
    def status(course: str | None, only_failed: bool) -> None:
        """The latest score owed per person and grade column, and where it stands."""
        from .services import find_course, latest_deliveries

        course_id = _course_id(course, find_course, fail)
        rows = latest_deliveries(course_id, status=DeliveryStatus.FAILED if only_failed else None)
        counts = {s: 0 for s in DeliveryStatus}
        for row in rows:
            counts[row.status] += 1
            click.echo(describe(row))
        click.echo(f"{counts[DeliveryStatus.DELIVERED]} delivered, {counts[DeliveryStatus.PENDING]} pending, "
                   f"{counts[DeliveryStatus.FAILED]} failed, {counts[DeliveryStatus.NO_COLUMN]} waiting for a column")

    @grades_group.command("resend")
    @click.option("--course", default=None, help="Course id, LMS context id or label.")
    @click.option("--failed", "only_failed", is_flag=True, help="Only failed deliveries (default: every latest score).")
    @with_database
    @emm_errors
    def resend_command(course: str | None, only_failed: bool) -> None:
        """Queue scores again now; a worker delivers them (same score, same timestamp)."""
        from .services import find_course, latest_deliveries, resend

        course_id = _course_id(course, find_course, fail)
        rows = latest_deliveries(course_id, status=DeliveryStatus.FAILED if only_failed else None)
        count = resend(rows)
        db.session.commit()
        click.echo(f"{count} scores queued again")

    @main.command("worker")
    @click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
    @click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 500))
    @click.option("--idle", default=1.0, show_default=True, type=click.FloatRange(0.05, 60), help="Seconds between polls when idle.")
    @click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
                  help="Serve this worker's Prometheus metrics on this port (needs EMM_METRICS and EMM_METRICS_TOKEN).")
    @click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port.")
    @with_database
    def worker_command(once: bool, batch: int, idle: float, metrics_port: int | None, metrics_host: str) -> None:
        """Deliver owed scores to LMS gradebooks; run any number of these beside the web servers."""
        from flask import current_app

        from .worker import GradeWorker

        app = current_app._get_current_object()
        settings = app.config["EMM"]
        if metrics_port is not None:
            if not settings.metrics:
                fail("--metrics-port: metrics are off; set EMM_METRICS=true and EMM_METRICS_TOKEN")
            from ..monitoring.exporter import serve_metrics

            serve_metrics(app, metrics_host, metrics_port, settings.metrics_token)
        worker = GradeWorker(app, batch=batch)
        if once:
            scored = worker.score_due()
            if scored:
                click.echo(f"{scored} quiz attempts scored at their deadline")
            total = 0
            while True:
                outcome = worker.run_once()
                done = outcome.delivered + outcome.retried + outcome.failed + outcome.no_column
                total += done
                if done == 0:
                    break
            click.echo(f"{total} deliveries attempted")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        worker.run(stop, idle)


def _course_id(text: str | None, find_course: Any, fail: Any) -> int | None:
    if text is None:
        return None
    course = find_course(text)
    if course is None:
        fail(f"--course: no course {text!r} (give our course id, the LMS context id or the course label)")
    return course.id
