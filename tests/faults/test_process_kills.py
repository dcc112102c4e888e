"""Processes killed with work in flight (SIGKILL: no goodbye): a web worker while quiz submissions are
on their way, a grade worker while it is posting a score. No attempt or grade is lost, none is counted
twice, and every score reaches the LMS with the timestamp it was given at submission."""
from __future__ import annotations

import os
import secrets
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from fault_support import LEARNERS, Stack, build_stack
from process_support import drop_database, scratch_database, wait_for
from lti_tool.extensions import db
from lti_tool.progress.models import Attempt


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    worker_id = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(3)}"  # other checkouts share the server
    url = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_kills_{worker_id}")
    built = build_stack(tmp_path, url, web_workers=2)
    yield built
    built.stop()
    drop_database(url)


def attempts(stack: Stack) -> int:
    with stack.app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Attempt))
        finally:
            db.session.remove()


def test_web_worker_killed_with_submissions_in_flight(stack: Stack) -> None:
    stack.start_worker()
    forms = [stack.quiz_form(sub, stack.placement()) for _ in range(3) for sub in LEARNERS]
    outcomes: list[str] = ["" for _ in forms]
    go = threading.Barrier(len(forms) + 1)

    def submit(at: int) -> None:
        go.wait()
        try:
            outcomes[at] = str(forms[at].post().status_code)
        except requests.ConnectionError:
            outcomes[at] = "cut"

    threads = [threading.Thread(target=submit, args=(at,)) for at in range(len(forms))]
    for thread in threads:
        thread.start()
    victim = stack.web.worker_pids()[0]
    go.wait()
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join(30)
    cut = [at for at, outcome in enumerate(outcomes) if outcome != "303"]
    # the learner's browser posts again whatever did not come back as saved: the same form, the same attempt
    wait_for(lambda: len(stack.web.worker_pids()) == 2, 30, "gunicorn replacing the killed worker")
    for at in cut:
        assert forms[at].post().status_code in (303, 409)
    assert attempts(stack) == len(forms)
    rows = stack.wait_delivered(len(forms))
    stack.assert_each_score_stored_once(rows)
    print(f"\nweb worker killed: {len(forms)} submissions in flight, {len(cut)} cut off ({sorted(set(outcomes))}), "
          f"posted again; {attempts(stack)} attempts, each score stored once")


def test_grade_worker_killed_while_posting(stack: Stack) -> None:
    """The LMS is slow, the worker dies mid-post; the LMS stores that post anyway. Another worker takes
    the score when the lease ends and posts the same bytes: the LMS answers 409, the score is delivered,
    stored once, with its original timestamp."""
    stack.lms.lms.set_switches(slow_ms=1500)
    victim = stack.start_worker()
    placement = stack.placement()
    assert stack.quiz_form(LEARNERS[0], placement).post().status_code == 303
    wait_for(lambda: stack.stat("score_posts") >= 1, 30, "the worker posting the score")
    victim.kill()
    owed = stack.deliveries()[0]
    assert owed.status == "pending" and owed.claimed_until is not None  # claimed by the dead worker
    wait_for(lambda: stack.stat("scores_stored") >= 1, 10, "the LMS finishing the cut-off post")
    stack.lms.lms.set_switches(slow_ms=0)
    stack.start_worker()
    rows = stack.wait_delivered(1)
    assert rows[0].score == owed.score  # the same bytes, timestamp included
    assert rows[0].last_error == "already applied (HTTP 409)"
    stack.assert_each_score_stored_once(rows)
    print(f"\ngrade worker killed mid-post: the score was delivered by the next worker after the "
          f"{stack.env['EMM_GRADE_LEASE']} s lease, as a 409; stored once with its original timestamp")
