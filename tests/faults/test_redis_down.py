"""Redis (the launch-state store) stops: new launches get a clear 503, /readyz names it, learners who
already launched carry on (their pages need only the database), nothing is half-written, and
launches work again as soon as Redis is back."""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from fault_support import LEARNERS, build_stack, no_server_errors, readyz
from process_support import RedisServer, drop_database, scratch_database, wait_for


def test_redis_down_and_back(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path).start()
    redis.wait_ready()
    worker_id = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(3)}"  # other checkouts share the server
    url = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_redis_down_{worker_id}")
    stack = build_stack(tmp_path, url, cache_url=redis.url)
    try:
        stack.start_worker()
        placement = stack.placement()
        learner = stack.quiz_form(LEARNERS[0], placement)

        redis.kill()
        down = wait_for(lambda: readyz(stack.web.url, 503), 10, "/readyz answering 503")
        assert down.json()["down"] == ["launch_state_store"]

        launch = stack.try_launch(LEARNERS[1], placement)
        no_server_errors(launch)
        assert launch.status_code == 503 and "Please try again in a minute" in launch.text
        # a learner already in the module goes on: reading and submitting need no launch state
        assert learner.learner.get(f"/m/{learner.module}/").status_code == 200
        assert learner.post().status_code == 303

        redis = RedisServer(tmp_path, port=redis.port).start()  # restarted, on its address
        back = time.monotonic()
        wait_for(lambda: readyz(stack.web.url, 200), 15, "/readyz answering 200 again")
        ready_after = time.monotonic() - back
        page = stack.launch(LEARNERS[1], placement).get(f"/m/{learner.module}/")
        assert page.status_code == 200
        rows = stack.wait_delivered(1)
        stack.assert_each_score_stored_once(rows)
        print(f"\nRedis down: launches answered 503, a launched learner read and submitted meanwhile; "
              f"/readyz 200 {ready_after:.2f} s after Redis was back, launches work again")
    finally:
        stack.stop()
        redis.stop()
        drop_database(url)

