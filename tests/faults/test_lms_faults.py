"""The LMS misbehaves while scores are owed: down for a while, its token endpoint down, slow, 30 % of
score posts failing. Two `emm-lti worker` processes deliver; every score must arrive exactly once,
with the timestamp it was given when the learner submitted.

The outage lasts EMM_TEST_LMS_OUTAGE seconds (default 3): production's "ten minutes down" is the same
path, with longer back-off steps (docs/reliability.md)."""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator

import pytest

from fault_support import LEARNERS, Stack, build_stack
from process_support import scratch_database, drop_database, wait_for

OUTAGE = float(os.environ.get("EMM_TEST_LMS_OUTAGE", "3"))
SLOW_MS = int(os.environ.get("EMM_TEST_LMS_SLOW_MS", "2000"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    worker_id = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(3)}"  # other checkouts share the server
    url = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_lms_faults_{worker_id}")
    built = build_stack(tmp_path_factory.mktemp("lms-faults"), url, web_workers=1)
    built.start_worker()
    built.start_worker()
    yield built
    built.stop()
    drop_database(url)


@pytest.fixture(autouse=True)
def healthy_lms(stack: Stack) -> Iterator[None]:
    yield
    stack.lms.lms.set_switches(ags_down=False, ags_retry_after=0, score_fail_percent=0, score_fail_after_store=False,
                               token_fail=False, slow_ms=0)


def submit_all(stack: Stack) -> tuple[str, int]:
    """A fresh grade column, and each of the three learners submits the quiz once."""
    placement = stack.placement()
    for submission in [stack.quiz_form(sub, placement) for sub in LEARNERS]:
        assert submission.post().status_code == 303
    return placement, len(LEARNERS)


def test_lms_down_for_a_while(stack: Stack) -> None:
    stack.lms.lms.set_switches(ags_down=True, ags_retry_after=0)
    already = len(stack.deliveries())
    submit_all(stack)
    time.sleep(OUTAGE)  # the outage itself: the workers retry meanwhile
    rows = stack.deliveries()[already:]
    assert all(r.status == "pending" and r.tries >= 1 for r in rows), [(r.status, r.tries) for r in rows]
    stack.lms.lms.set_switches(ags_down=False)
    up = time.monotonic()
    rows = stack.wait_delivered(already + 3)[already:]
    recovered = time.monotonic() - up
    stack.assert_each_score_stored_once(rows)
    print(f"\nLMS down {OUTAGE:g} s: 3 scores owed, tried {sum(r.tries for r in rows)} times in all, "
          f"all delivered {recovered:.2f} s after the LMS came back, each stored once")


def test_token_endpoint_down(stack: Stack) -> None:
    """The LMS forgets every access token (a restart) and its token endpoint fails for a while."""
    with stack.lms.lms.state.lock:
        stack.lms.lms.state.tokens.clear()
    stack.lms.lms.set_switches(token_fail=True)
    already = len(stack.deliveries())
    requests_before = stack.stat("token_requests")
    submit_all(stack)
    wait_for(lambda: stack.stat("token_requests") > requests_before, 20, "a token request refused")
    time.sleep(OUTAGE)
    assert all(r.status == "pending" for r in stack.deliveries()[already:])
    stack.lms.lms.set_switches(token_fail=False)
    up = time.monotonic()
    rows = stack.wait_delivered(already + 3)[already:]
    print(f"\ntoken endpoint down {OUTAGE:g} s: {stack.stat('token_requests') - requests_before} token "
          f"requests, scores delivered {time.monotonic() - up:.2f} s after it came back, each stored once")
    stack.assert_each_score_stored_once(rows)


@pytest.mark.parametrize("stored_anyway", [False, True], ids=["not-stored", "stored-then-500"])
def test_thirty_percent_of_score_posts_fail(stack: Stack, stored_anyway: bool) -> None:
    """30 % of posts answer 500; with stored-then-500 the LMS kept the score, and the retry meets a 409."""
    stack.lms.lms.set_switches(score_fail_percent=30, score_fail_after_store=stored_anyway)
    already = len(stack.deliveries())
    conflicts, failures = stack.stat("score_conflicts"), stack.stat("score_failures")
    for _ in range(3):
        submit_all(stack)
    rows = stack.wait_delivered(already + 9)[already:]
    stack.assert_each_score_stored_once(rows)
    injected = stack.stat("score_failures") - failures
    assert injected >= 2
    if stored_anyway:
        assert stack.stat("score_conflicts") - conflicts == injected  # each retry was "already applied"
    print(f"\n30 % of score posts failing ({'stored' if stored_anyway else 'not stored'} before the 500): "
          f"9 scores, {injected} posts failed, each score stored once")


def test_slow_lms(stack: Stack) -> None:
    """Every LMS answer takes SLOW_MS: scores still arrive once each, and the learners' pages do not wait."""
    stack.lms.lms.set_switches(slow_ms=SLOW_MS)
    already = len(stack.deliveries())
    placement, _ = submit_all(stack)
    learner = stack.launch(LEARNERS[0], placement)
    started = time.monotonic()
    assert learner.get(f"/m/{stack.modules[placement]}/").status_code == 200
    page_seconds = time.monotonic() - started  # a figure for docs/reliability.md, not a test of speed
    rows = stack.wait_delivered(already + 3, timeout=60)[already:]
    stack.assert_each_score_stored_once(rows)
    print(f"\nLMS answering in {SLOW_MS} ms: a page took {page_seconds * 1000:.0f} ms meanwhile; "
          f"3 scores delivered, each stored once")
