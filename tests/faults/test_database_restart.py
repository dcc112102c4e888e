"""PostgreSQL stops in the middle of a session and comes back: users get a 503 with a message (never a
500), /readyz says "database" within a second, everything recovers alone, no attempt is lost or
counted twice, and the scores owed during the outage reach the LMS once each."""
from __future__ import annotations

import time
from pathlib import Path

import requests
from sqlalchemy import func, select

from fault_support import LEARNERS, build_stack, no_server_errors, readyz
from process_support import PostgresCluster, scratch_database, wait_for
from lti_tool.extensions import db
from lti_tool.progress.models import Attempt


def test_postgresql_restart_mid_session(tmp_path: Path) -> None:
    cluster = PostgresCluster()
    cluster.start()
    stack = None
    try:
        stack = build_stack(tmp_path, scratch_database(cluster.url, "emm_restart"))
        stack.start_worker()
        placement = stack.placement()
        # two learners' scores are owed while the LMS is down, a third fills in the quiz form
        stack.lms.lms.set_switches(ags_down=True, ags_retry_after=0)
        first = [stack.quiz_form(sub, placement) for sub in LEARNERS[:2]]
        for submission in first:
            assert submission.post().status_code == 303
        during = stack.quiz_form(LEARNERS[2], placement)
        assert requests.get(stack.web.url + "/readyz", timeout=5).status_code == 200
        # the worker holds its access token and has met the LMS's 503s: the scores wait for their retry
        wait_for(lambda: stack.stat("score_posts") >= 2, 20, "the worker trying the LMS")

        cluster.stop("fast")
        stopped = time.monotonic()
        down = wait_for(lambda: readyz(stack.web.url, 503), 5, "/readyz answering 503")
        to_503 = time.monotonic() - stopped
        assert to_503 < 1.0, f"/readyz took {to_503:.2f} s to report the database down"
        assert down.json()["down"] == ["database"]
        assert down.headers["Retry-After"]

        # users meanwhile: a reading page, a quiz submission, a new launch: 503 with a message, nothing saved
        page = during.learner.get(f"/m/{during.module}/")
        submit = during.post()
        launch = stack.try_launch(LEARNERS[0], placement)
        for response in (page, submit, launch):
            no_server_errors(response)
            assert response.status_code == 503, response.text[:300]
            assert "Please try again in a minute" in response.text
        assert stack.web.alive() and all(w.alive() for w in stack.workers)

        cluster.start()
        started = time.monotonic()
        wait_for(lambda: readyz(stack.web.url, 200), 15, "/readyz answering 200 again")
        to_200 = time.monotonic() - started
        stack.lms.lms.set_switches(ags_down=False)

        # the same form, posted again, is saved once; pages and launches work again
        assert during.post().status_code == 303
        assert during.post().status_code in (303, 409)
        assert during.learner.get(f"/m/{during.module}/").status_code == 200
        assert stack.launch(LEARNERS[0], placement).get(f"/m/{during.module}/").status_code == 200

        rows = stack.wait_delivered(3)
        assert all(w.alive() for w in stack.workers)  # the grade worker waited the outage out
        stack.assert_each_score_stored_once(rows)
        with stack.app.app_context():
            attempts = db.session.scalar(select(func.count()).select_from(Attempt))
            db.session.remove()
        assert attempts == 3
        print(f"\nPostgreSQL restart: /readyz 503 after {to_503 * 1000:.0f} ms, 200 again {to_200:.2f} s after "
              f"the restart; 3 attempts, 3 scores stored once each")
    finally:
        if stack is not None:
            stack.stop()
        cluster.destroy()

