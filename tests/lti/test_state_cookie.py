"""The state cookie is written out by hand for speed: it must be the header werkzeug would write."""
from __future__ import annotations

import secrets
import time

from werkzeug.http import dump_cookie

from lti_tool.lti.login import state_cookie, state_cookie_name, state_cookie_removal


def _werkzeug(state: str, max_age: int) -> str:
    return dump_cookie(state_cookie_name(state), state, max_age=max_age, path="/lti/", secure=True,
                       httponly=True, samesite="None", partitioned=True)


def test_the_state_cookie_is_werkzeugs() -> None:
    # random states are drawn inside the test: pytest-xdist needs the same test ids in every worker
    for state in ["st-" + secrets.token_urlsafe(24) for _ in range(50)] + ["st-a", "st-_-"]:
        for _ in range(3):  # the Expires second may turn between the two calls: then try again
            before = int(time.time())
            ours, theirs = state_cookie(state, 600), _werkzeug(state, 600)
            if int(time.time()) == before:
                break
        assert ours == theirs, state


def test_an_unusual_state_is_quoted_as_werkzeug_does() -> None:
    state = 'st-with space;and"quotes'
    assert state_cookie(state, 600).split(";")[0] == _werkzeug(state, 600).split(";")[0]


def test_the_removal_is_werkzeugs() -> None:
    state = "st-" + secrets.token_urlsafe(24)
    assert state_cookie_removal(state) == dump_cookie(
        state_cookie_name(state), "", max_age=0, expires=0, path="/lti/", secure=True, samesite="None",
        partitioned=True)
