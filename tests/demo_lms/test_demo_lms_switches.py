"""Failure switches (Python API, CSRF-protected page, JSON) and what the tool sees when they are on."""
from __future__ import annotations

import re

import pytest
from demo_lms_helpers import FakeTool, access_token
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms

SCORE = {"userId": "4", "scoreGiven": 1, "scoreMaximum": 1, "activityProgress": "Completed", "gradingProgress": "FullyGraded"}


@pytest.fixture()
def auth(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(client, lms, fake_tool)}"}


def _score(client: FlaskClient, lms: DemoLms, auth: dict, second: int):
    body = {**SCORE, "timestamp": f"2026-11-28T00:00:{second:02d}Z"}
    return client.post(f"{lms.urls.lineitem_path('1')}/scores?type_id=1", json=body, headers=auth)


def test_ags_down_answers_503_with_retry_after(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    lms.set_switches(ags_down=True, ags_retry_after=7)
    for resp in (client.get(lms.urls.lineitems, headers=auth), _score(client, lms, auth, 1),
                 client.get(lms.urls.memberships, headers=auth)):
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"
    assert lms.state.scores == {}
    lms.set_switches(ags_down=False)
    assert _score(client, lms, auth, 1).status_code == 200


def test_rate_limit_answers_429(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    lms.set_switches(rate_limit_retry_after=3)
    resp = _score(client, lms, auth, 1)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"


def test_fail_percent_spreads_failures_evenly(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    lms.set_switches(score_fail_percent=50)
    statuses = [_score(client, lms, auth, s).status_code for s in range(1, 7)]
    assert statuses == [200, 500, 200, 500, 200, 500]
    assert lms.stats["score_posts"] == 6 and lms.stats["score_failures"] == 3
    # A 500 stored nothing, so the same score can be retried.
    assert lms.state.scores[("1", "4")].received["timestamp"] == "2026-11-28T00:00:05Z"


def test_fail_after_store_makes_the_retry_a_409(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    lms.set_switches(score_fail_percent=100, score_fail_after_store=True)
    assert _score(client, lms, auth, 1).status_code == 500
    lms.set_switches(score_fail_percent=0)
    assert _score(client, lms, auth, 1).status_code == 409  # already applied: the tool must treat it so


def test_token_endpoint_fails(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    lms.set_switches(token_fail=True)
    resp = client.post("/token", data={"grant_type": "client_credentials"})
    assert resp.status_code == 500 and resp.get_json()["error"] == "server_error"
    assert lms.stats["token_requests"] == 1 and lms.stats.get("tokens_issued", 0) == 0


@pytest.mark.parametrize(
    "changes", [{"nope": True}, {"ags_down": "yes"}, {"score_fail_percent": 101}, {"ags_retry_after": -1}]
)
def test_set_switches_refuses_bad_input(lms: DemoLms, changes: dict) -> None:
    with pytest.raises(ValueError):
        lms.set_switches(**changes)
    assert lms.switches == type(lms.switches)()


def _csrf(client: FlaskClient) -> str:
    page = client.get("/switches").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_switches_page_needs_its_csrf_token(client: FlaskClient, lms: DemoLms) -> None:
    assert client.post("/switches", data={"action": "save", "ags_down": "1"}).status_code == 400
    assert lms.switches.ags_down is False
    resp = client.post(
        "/switches",
        data={"csrf_token": _csrf(client), "action": "save", "ags_down": "1", "ags_retry_after": "12",
              "score_fail_percent": "25", "rate_limit_retry_after": "0"},
    )
    assert resp.status_code == 303
    assert lms.switches.ags_down and lms.switches.ags_retry_after == 12 and lms.switches.score_fail_percent == 25
    assert "Switches saved." in client.get("/switches").get_data(as_text=True)
    resp = client.post("/switches", data={"csrf_token": _csrf(client), "action": "save", "score_fail_percent": "x"})
    assert resp.status_code == 400


def test_switches_page_rotates_the_key(client: FlaskClient, lms: DemoLms) -> None:
    old = lms.key.kid
    client.post("/switches", data={"csrf_token": _csrf(client), "action": "rotate_key"})
    assert lms.key.kid != old and [k["kid"] for k in client.get("/jwks").get_json()["keys"]] == [lms.key.kid]


def test_switches_json_for_scripts(client: FlaskClient, lms: DemoLms) -> None:
    assert client.post("/demo/switches.json", data={"ags_down": "1"}).status_code == 415
    assert client.post("/demo/switches.json", json={"ags_down": True}, headers={"Origin": "http://evil.example"}).status_code == 403
    resp = client.post("/demo/switches.json", json={"ags_down": True, "moodle_mode": True})
    assert resp.status_code == 200 and resp.get_json()["ags_down"] is True
    assert client.post("/demo/switches.json", json={"bogus": 1}).status_code == 400
    assert client.get("/demo/switches.json").get_json()["moodle_mode"] is True
    assert "lti_storage_target" not in lms.login_url("4", "1")


def test_stats_json(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _score(client, lms, auth, 1)
    stats = client.get("/demo/stats.json").get_json()
    assert stats["token_requests"] == 1 and stats["score_posts"] == 1 and stats == lms.stats
