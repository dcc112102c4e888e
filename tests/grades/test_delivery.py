"""Grade delivery over real HTTP to the demo LMS: shape, comment, outages, retries, leases, tokens."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from grade_helpers import Target, drain
from lti_tool.courses.models import Participant, Placement
from lti_tool.extensions import db
from lti_tool.lms import tokens
from lti_tool.grades.models import AccessToken, DeliveryStatus, GradeDelivery
from lti_tool.grades.services import ScoreReport, queue_score
from lti_tool.grades.worker import GradeWorker, RetryPolicy
from lti_tool.models_base import utcnow


def owe(app: Flask, target: Target, points: int = 8, *, completed: bool = True, passed: bool = True,
        country: str | None = "GD", title: str = "Gender and Migration") -> int:
    with app.app_context():
        delivery = queue_score(
            db.session.get(Placement, target.placement_id), db.session.get(Participant, target.participant_id),
            ScoreReport("m04", title, points, 10, completed, passed, country))
        db.session.commit()
        return delivery.id


def lms_score(lms, target: Target):
    with lms.lms.state.lock:
        item = lms.lms.state.placements[target.lms_placement].line_item_id
        return lms.lms.state.scores.get((item, target.sub))


def delivery(app: Flask, delivery_id: int) -> GradeDelivery:
    with app.app_context():
        row = db.session.get(GradeDelivery, delivery_id)
        db.session.expunge(row)
        return row


def test_score_shape_and_comment_in_the_gradebook(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    delivery_id = owe(app, target)
    drain(worker)
    record = lms_score(lms, target)
    assert record is not None
    sent = record.received
    assert sent["userId"] == target.sub
    assert sent["scoreGiven"] == 8 and sent["scoreMaximum"] == 10
    assert sent["activityProgress"] == "Completed" and sent["gradingProgress"] == "FullyGraded"
    assert sent["comment"] == "m04 Gender and Migration — completed, 8/10 (80%), passed — Grenada (GD)"
    assert sent["timestamp"].endswith("Z")
    assert record.result_score == pytest.approx(80.0)  # rescaled to the column's maximum of 100
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.DELIVERED and row.tries == 1
    # the gradebook page shows it as received
    page = requests.get(lms.url + "/gradebook", timeout=10).text
    assert "Grenada (GD)" in page


def test_lms_down_during_50_submissions_then_back(app, lms, make_targets, worker) -> None:
    targets = make_targets(50)
    stored_before = lms.lms.stats.get("scores_stored", 0)
    lms.lms.set_switches(ags_down=True)
    ids = [owe(app, t, points=i % 11) for i, t in enumerate(targets)]
    for _ in range(3):
        worker.run_once()
        time.sleep(0.06)
    with app.app_context():
        pending = db.session.scalar(select(func.count()).select_from(GradeDelivery).where(
            GradeDelivery.id.in_(ids), GradeDelivery.status == DeliveryStatus.PENDING, GradeDelivery.tries >= 1))
    assert pending == 50
    assert lms.lms.stats.get("scores_stored", 0) == stored_before
    lms.lms.set_switches(ags_down=False)
    drain(worker)
    with app.app_context():
        statuses = db.session.scalars(select(GradeDelivery.status).where(GradeDelivery.id.in_(ids))).all()
    assert statuses.count(DeliveryStatus.DELIVERED) == 50
    assert lms.lms.stats.get("scores_stored", 0) == stored_before + 50, "each score stored exactly once"
    for index, target in enumerate(targets):
        assert lms_score(lms, target).received["scoreGiven"] == index % 11


def test_rate_limit_retry_after_is_honoured(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    delivery_id = owe(app, target)
    lms.lms.set_switches(rate_limit_retry_after=7)
    started = utcnow()
    worker.run_once()
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.PENDING
    assert "429" in row.last_error
    assert row.next_attempt_at >= started + timedelta(seconds=7)
    assert worker.run_once().delivered == 0, "not retried before Retry-After"


def test_a_resent_timestamp_answered_409_counts_as_delivered(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    delivery_id = owe(app, target)
    drain(worker)
    conflicts = lms.lms.stats.get("score_conflicts", 0)
    with app.app_context():  # resend the same row: same JSON, same timestamp
        from lti_tool.grades.services import resend

        resend([db.session.get(GradeDelivery, delivery_id)])
        db.session.commit()
    drain(worker)
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.DELIVERED
    assert row.last_error == "already applied (HTTP 409)"
    assert lms.lms.stats["score_conflicts"] == conflicts + 1


def test_two_scores_in_the_same_second_both_count(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    owe(app, target, points=3, completed=False, passed=False)
    drain(worker)
    owe(app, target, points=9)  # within the same second: the timestamp is bumped to stay newer
    drain(worker)
    assert lms_score(lms, target).received["scoreGiven"] == 9


def test_a_newer_score_supersedes_a_pending_one(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    first = owe(app, target, points=2, completed=False, passed=False)
    second = owe(app, target, points=7)
    assert delivery(app, first).status == DeliveryStatus.SUPERSEDED
    drain(worker)
    assert delivery(app, second).status == DeliveryStatus.DELIVERED
    assert lms_score(lms, target).received["scoreGiven"] == 7


def test_worker_killed_after_claiming_then_another_delivers(app, lms, make_targets) -> None:
    (target,) = make_targets(1)
    delivery_id = owe(app, target)
    dying = GradeWorker(app, lease=0.3, policy=RetryPolicy(0.01, 0.05), name="dies")
    _, claimed = dying.claim()   # claims the row... and dies before posting
    assert delivery_id in claimed
    survivor = GradeWorker(app, lease=5, policy=RetryPolicy(0.01, 0.05), name="survives")
    assert delivery_id not in survivor.claim()[1], "a live lease keeps others away"
    time.sleep(0.35)
    drain(survivor)
    assert delivery(app, delivery_id).status == DeliveryStatus.DELIVERED
    assert lms_score(lms, target) is not None


def test_worker_killed_after_posting_before_recording(app, lms, make_targets, worker) -> None:
    """The LMS got the score but the worker died before writing it down: the retry gets 409 = delivered."""
    (target,) = make_targets(1)
    delivery_id = owe(app, target)
    with app.app_context():
        from lti_tool.lms.client import PlatformClient
        from lti_tool.lms.hosts import HostPolicy
        from lti_tool.lms.tokens import TokenSource

        row = db.session.get(GradeDelivery, delivery_id)
        placement = db.session.get(Placement, row.placement_id)
        from lti_tool.platforms.models import Platform

        platform = db.session.get(Platform, placement.course.platform_id)
        client = PlatformClient(HostPolicy.for_platform(platform), TokenSource(app, platform.id))
        client.post_score(placement.lineitem_url, row.score, tuple(placement.course.ags_scopes))
        db.session.rollback()
    stored = lms.lms.stats.get("scores_stored", 0)
    drain(worker)
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.DELIVERED and row.last_error == "already applied (HTTP 409)"
    assert lms.lms.stats.get("scores_stored", 0) == stored


def test_concurrent_workers_take_each_score_once(app, lms, make_targets) -> None:
    targets = make_targets(30)
    ids = {owe(app, t) for t in targets}
    workers = [GradeWorker(app, batch=4, lease=30, name=f"w{i}") for i in range(4)]
    claims: list[list[int]] = [[] for _ in workers]
    barrier = threading.Barrier(len(workers))

    def claim_all(index: int) -> None:
        barrier.wait()
        for _ in range(20):
            claims[index].extend(workers[index].claim()[1])

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [i for c in claims for i in c if i in ids]
    assert sorted(taken) == sorted(ids), "every score claimed exactly once"


def test_token_is_reused_across_many_scores(app, lms, make_targets, worker) -> None:
    targets = make_targets(12)
    with app.app_context():
        db.session.execute(AccessToken.__table__.delete())
        db.session.commit()
    tokens.reset_memory()
    before = lms.lms.stats.get("token_requests", 0)
    for t in targets:
        owe(app, t)
    drain(worker)
    for t in targets:
        owe(app, t, points=5)
    drain(worker)
    assert lms.lms.stats["token_requests"] - before == 1
    with app.app_context():
        assert db.session.scalar(select(func.sum(AccessToken.requests_made))) == 1


def test_permanent_refusal_is_failed_with_the_lms_reason(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    with app.app_context():  # a participant the LMS does not know as a learner (e.g. unenrolled since)
        stranger = Participant(platform_id=db.session.get(Participant, target.participant_id).platform_id,
                               sub="999", name="Former learner")
        db.session.add(stranger)
        db.session.commit()
        target = Target(target.placement_id, stranger.id, target.lms_placement, "999")
    delivery_id = owe(app, target)
    drain(worker)
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.FAILED
    # Moodle puts its reason in the status line (body `[]`): the facilitator reads it, not "HTTP 400: []"
    assert row.last_error == "HTTP 400 (Incorrect score received)"


def test_token_endpoint_down_keeps_scores_pending_then_delivers(app, lms, make_targets, worker) -> None:
    (target,) = make_targets(1)
    with app.app_context():
        db.session.execute(AccessToken.__table__.delete())
        db.session.commit()
    tokens.reset_memory()
    delivery_id = owe(app, target)
    lms.lms.set_switches(token_fail=True)
    worker.run_once()
    row = delivery(app, delivery_id)
    assert row.status == DeliveryStatus.PENDING and "500" in row.last_error
    lms.lms.set_switches(token_fail=False)
    drain(worker)
    assert delivery(app, delivery_id).status == DeliveryStatus.DELIVERED


def test_refused_token_request_is_retried_not_failed(app, lms, make_targets, worker) -> None:
    """A registration problem (the LMS refuses our client assertion) must not fail every queued score."""
    (target,) = make_targets(1)
    with app.app_context():
        db.session.execute(AccessToken.__table__.delete())
        from lti_tool.platforms.models import Platform

        platform = db.session.get(Platform, db.session.get(Placement, target.placement_id).course.platform_id)
        good_url = platform.auth_token_url
        platform.auth_audience = "https://wrong-audience.example"  # the LMS will refuse the assertion
        db.session.commit()
    tokens.reset_memory()
    try:
        delivery_id = owe(app, target)
        started = utcnow()
        worker.run_once()
        row = delivery(app, delivery_id)
        assert row.status == DeliveryStatus.PENDING
        assert "refused the tool's access token request" in row.last_error
        assert row.next_attempt_at >= started + timedelta(seconds=250)
    finally:
        with app.app_context():
            from lti_tool.platforms.models import Platform

            platform = db.session.get(Platform, db.session.get(Placement, target.placement_id).course.platform_id)
            platform.auth_audience = None
            assert platform.auth_token_url == good_url
            db.session.commit()
