"""AGS with Moodle's semantics: bearer/scope checks, line items, and the score rules of fixtures 10-12."""
from __future__ import annotations

from typing import Any

import pytest

from lti_tool.demo_lms import DEFAULT_PLACEMENTS
from demo_lms_helpers import AGS_SCOPES, FakeTool, access_token, moodle_fixture
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms

SCORE_CT = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture()
def auth(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(client, lms, fake_tool)}"}


def _scores_url(lms: DemoLms, item_id: str) -> str:
    return f"{lms.urls.lineitem_path(item_id)}/scores?type_id=1"


def _results(client: FlaskClient, lms: DemoLms, auth: dict, item_id: str, **query: str) -> list[dict]:
    resp = client.get(f"{lms.urls.lineitem_path(item_id)}/results", query_string={"type_id": "1", **query}, headers=auth)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.ims.lis.v2.resultcontainer+json"
    return resp.get_json()


def _score(user: str, ts: str, given: float | None = 8.5, grading: str = "FullyGraded", **extra: Any) -> dict:
    body: dict[str, Any] = {
        "userId": user,
        "scoreMaximum": 10,
        "timestamp": ts,
        "activityProgress": "Completed",
        "gradingProgress": grading,
        **extra,
    }
    if given is not None:
        body["scoreGiven"] = given
    return body


def _post(client: FlaskClient, lms: DemoLms, auth: dict, item_id: str, body: dict):
    return client.post(_scores_url(lms, item_id), json=body, headers={**auth, "Content-Type": SCORE_CT})


def test_service_calls_need_a_token_with_the_right_scope(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool
) -> None:
    url = lms.urls.lineitems
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    score_only = access_token(client, lms, fake_tool, [AGS_SCOPES[3]])
    resp = client.get(url, headers={"Authorization": f"Bearer {score_only}"})
    assert resp.status_code == 403
    read_only = access_token(client, lms, fake_tool, [AGS_SCOPES[1]])
    assert client.get(url, headers={"Authorization": f"Bearer {read_only}"}).status_code == 200
    assert client.post(url, json={"label": "x", "scoreMaximum": 1}, headers={"Authorization": f"Bearer {read_only}"}).status_code == 403


def test_lineitems_list_has_moodle_shape(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    resp = client.get(lms.urls.lineitems, headers=auth)
    assert resp.mimetype == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    items = resp.get_json()
    assert len(items) == len(DEFAULT_PLACEMENTS)
    assert [i["resourceId"] for i in items if i["resourceId"]] == ["m02"]   # the one added by Deep Linking
    moodle_item = moodle_fixture("10")["exchanges"][0]["response"]["body"][0]
    assert set(items[0]) == set(moodle_item)
    assert items[0]["id"] == lms.urls.lineitem("1") and items[0]["id"].endswith("/lineitem?type_id=1")
    assert items[0]["scoreMaximum"] == 100 and items[0]["resourceLinkId"] == "1"


def test_lineitem_create_filter_page_update_delete(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    created = client.post(
        lms.urls.lineitems,
        json={"label": "Module 01 quiz", "scoreMaximum": 50, "resourceId": "m01-quiz", "tag": "quiz", "resourceLinkId": "1"},
        headers=auth,
    )
    assert created.status_code == 201
    item = created.get_json()
    assert item["label"] == "Module 01 quiz" and item["id"] == lms.urls.lineitem(str(len(DEFAULT_PLACEMENTS) + 1))
    tagged = client.get(lms.urls.lineitems_path, query_string={"type_id": "1", "tag": "quiz"}, headers=auth).get_json()
    assert [i["id"] for i in tagged] == [item["id"]]
    by_link = client.get(lms.urls.lineitems_path, query_string={"resource_link_id": "1"}, headers=auth).get_json()
    assert len(by_link) == 2
    page = client.get(lms.urls.lineitems_path, query_string={"type_id": "1", "limit": "4"}, headers=auth)
    assert len(page.get_json()) == 4
    assert page.headers["Link"] == f'<{lms.urls.lineitems_path}?type_id=1&limit=4&from=4>; rel="next"'
    last = client.get(page.headers["Link"][1:].split(">")[0], headers=auth)
    assert len(last.get_json()) == len(DEFAULT_PLACEMENTS) + 1 - 4 and "Link" not in last.headers

    item_url = item["id"]
    updated = client.put(item_url, json={"label": "Renamed", "scoreMaximum": 40, "resourceId": "m01-quiz", "tag": "quiz"}, headers=auth)
    assert updated.status_code == 200 and updated.get_json()["scoreMaximum"] == 40
    assert client.get(item_url, headers=auth).get_json()["label"] == "Renamed"
    assert client.delete(item_url, headers=auth).status_code == 204
    assert client.get(item_url, headers=auth).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"scoreMaximum": 10}, {"label": "x", "scoreMaximum": 0}, {"label": "x", "scoreMaximum": 1, "resourceLinkId": "99"}],
)
def test_lineitem_create_refuses_bad_bodies(client: FlaskClient, lms: DemoLms, auth: dict, body: dict) -> None:
    assert client.post(lms.urls.lineitems, json=body, headers=auth).status_code == 400


def test_fully_graded_score_is_rescaled_and_comment_kept(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    resp = _post(client, lms, auth, "1", _score("5", "2026-11-28T00:13:40.978Z", comment="Good job on module 01"))
    assert resp.status_code == 200 and resp.data == b""
    (result,) = _results(client, lms, auth, "1")
    expected = moodle_fixture("10")["exchanges"][3]["response"]["body"][0]
    assert set(result) == set(expected)
    assert result["resultScore"] == 85 and result["resultMaximum"] == 100
    assert result["comment"] == "Good job on module 01"
    assert result["timestamp"] == "2026-11-28T00:13:40+00:00"
    assert result["scoreOf"] == lms.urls.lineitem("1")
    assert result["id"] == lms.urls.result("1", "5")
    assert lms.stats["score_posts"] == 1 and lms.stats["scores_stored"] == 1


def test_timestamp_must_be_newer_to_the_second(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    assert _post(client, lms, auth, "1", _score("5", "2026-11-28T00:14:10.899Z", 7)).status_code == 200
    assert _post(client, lms, auth, "1", _score("5", "2026-11-28T00:14:10.938Z", 6)).status_code == 409
    assert _post(client, lms, auth, "1", _score("5", "2026-11-27T23:14:09.966Z", 6)).status_code == 409
    assert _post(client, lms, auth, "1", _score("5", "2026-11-28T01:14:10.500+01:00", 6)).status_code == 409
    assert _results(client, lms, auth, "1")[0]["resultScore"] == 70
    assert _post(client, lms, auth, "1", _score("5", "2026-11-28T00:14:11Z", 6)).status_code == 200
    assert _results(client, lms, auth, "1")[0]["resultScore"] == 60
    assert lms.stats["score_conflicts"] == 3


def test_pending_drops_score_but_keeps_comment(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _post(client, lms, auth, "2", _score("4", "2026-11-28T00:13:41Z", 7))
    body = _score("4", "2026-11-28T00:13:42Z", 3, grading="Pending", comment="Pending review")
    body["activityProgress"] = "Submitted"
    assert _post(client, lms, auth, "2", body).status_code == 200
    (result,) = _results(client, lms, auth, "2")
    assert "resultScore" not in result and result["comment"] == "Pending review"
    record = lms.state.scores[("2", "4")]
    assert record.received["scoreGiven"] == 3  # the gradebook still shows what was received


def test_no_score_no_comment_clears_the_result(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _post(client, lms, auth, "2", _score("4", "2026-11-28T00:13:41Z", 7, comment="ok"))
    body = _score("4", "2026-11-28T00:14:14Z", None, grading="NotReady")
    body["activityProgress"] = "Started"
    assert _post(client, lms, auth, "2", body).status_code == 200
    assert _results(client, lms, auth, "2") == []


def test_over_max_is_clamped(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _post(client, lms, auth, "1", _score("4", "2026-11-28T00:14:18Z", 12, comment="over max"))
    assert _results(client, lms, auth, "1")[0]["resultScore"] == 100


@pytest.mark.parametrize("user", ["3", "2", "99"])  # facilitator, admin (not enrolled), unknown
def test_score_for_a_non_learner_is_incorrect(client: FlaskClient, lms: DemoLms, auth: dict, user: str) -> None:
    resp = _post(client, lms, auth, "1", _score(user, "2026-11-28T00:14:19Z", 1))
    # as Moodle 4.5 answers: the reason in the status line, the body an empty JSON list
    assert resp.status == "400 Incorrect score received"
    assert resp.get_json() == []
    assert lms.state.scores == {}


@pytest.mark.parametrize("missing", ["userId", "timestamp", "activityProgress", "gradingProgress"])
def test_score_needs_the_four_required_fields(client: FlaskClient, lms: DemoLms, auth: dict, missing: str) -> None:
    body = _score("4", "2026-11-28T00:14:19Z", 1)
    del body[missing]
    assert _post(client, lms, auth, "1", body).status_code == 400


@pytest.mark.parametrize(
    "change", [{"timestamp": "yesterday"}, {"gradingProgress": "Done"}, {"scoreGiven": "9"}, {"scoreMaximum": None}]
)
def test_score_refuses_malformed_values(client: FlaskClient, lms: DemoLms, auth: dict, change: dict) -> None:
    body = {**_score("4", "2026-11-28T00:14:19Z", 1), **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert _post(client, lms, auth, "1", body).status_code == 400


def test_results_filter_by_user_and_unknown_item(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _post(client, lms, auth, "1", _score("4", "2026-11-28T00:14:19Z", 5))
    _post(client, lms, auth, "1", _score("6", "2026-11-28T00:14:19Z", 6))
    assert [r["userId"] for r in _results(client, lms, auth, "1")] == ["4", "6"]
    assert [r["userId"] for r in _results(client, lms, auth, "1", user_id="6")] == ["6"]
    assert client.get("/ags/2/lineitems/404/lineitem/results", headers=auth).status_code == 404
    assert _post(client, lms, auth, "404", _score("4", "2026-11-28T00:14:19Z")).status_code == 404
    assert client.get("/ags/999/lineitems", headers=auth).status_code == 404


def test_gradebook_shows_what_was_received(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    _post(client, lms, auth, "1", _score("5", "2026-11-28T00:13:40.978Z", 8.5, comment="Well done, Marcus"))
    page = client.get("/gradebook").get_data(as_text=True)
    assert page.count('<th scope="col">') == 1 + len(DEFAULT_PLACEMENTS)  # learner column + one per line item
    for text in ("8.5 / 10", "85 / 100", "FullyGraded", "Completed", "Well done, Marcus", "2026-11-28T00:13:40.978Z"):
        assert text in page
