"""Deep Linking return: the tool's signed response (fixture 08 shape) adds placements; forgeries add nothing."""
from __future__ import annotations

import time
from typing import Any

import pytest
from demo_lms_helpers import FakeTool, launch_id_token, moodle_fixture, new_key
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


@pytest.fixture()
def dl_data(client: FlaskClient, lms: DemoLms) -> str:
    """A facilitator's Deep Linking launch; returns the `data` the tool must echo."""
    _, claims = launch_id_token(client, lms, lms.login_url("3", deep_link=True))
    return claims[DL + "deep_linking_settings"]["data"]


def _response(lms: DemoLms, tool: FakeTool, data: str, items: list[dict] | None = None, **overrides: Any) -> dict:
    """The tool's LtiDeepLinkingResponse claims, as pylti1p3 builds them."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": lms.cfg.client_id,
        "aud": [lms.cfg.issuer],
        "iat": now,
        "exp": now + 600,
        "nonce": f"nonce-{now}-{id(items)}",
        LTI + "deployment_id": lms.cfg.deployment_id,
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        DL + "content_items": items if items is not None else _fixture_items(tool),
        DL + "data": data,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _fixture_items(tool: FakeTool) -> list[dict]:
    item = dict(moodle_fixture("08")["tool_response_jwt_claims"][DL + "content_items"][0])
    item["url"] = f"{tool.url}/lti/launch"
    second = {"type": "ltiResourceLink", "title": "Module 05", "custom": {"module": "m05", "country": "VC"}}
    return [item, second, {"type": "link", "url": "https://example.org", "title": "A web link"}]


def _post(client: FlaskClient, token: str):
    return client.post("/deep-link-return", data={"JWT": token})


def test_adds_one_placement_per_resource_link(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str
) -> None:
    before = len(lms.state.placements)
    resp = _post(client, fake_tool.sign(_response(lms, fake_tool, dl_data)))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body
    assert "2 placements added" in body and "Ignored items of type: link" in body
    added = list(lms.state.placements.values())[before:]
    assert [p.title for p in added] == ["Module 02 quiz (deep linked)", "Module 05"]
    quiz, m05 = added
    assert quiz.custom == {"module": "m02", "quiz": "q1"}
    assert quiz.description == "Quiz for training module 02"
    assert quiz.target_link_uri == f"{fake_tool.url}/lti/launch"
    item = lms.state.line_items[quiz.line_item_id]
    assert (item.label, item.score_maximum, item.resource_id, item.tag) == ("Module 02 quiz", 10, "m02-quiz", "quiz")
    assert item.resource_link_id == quiz.id
    assert m05.country == "VC" and m05.line_item_id is None
    assert lms.stats["deep_link_returns"] == 1
    # The new placement launches with its custom parameters.
    _, claims = launch_id_token(client, lms, lms.login_url("4", quiz.id))
    assert claims[LTI + "custom"]["quiz"] == "q1"
    assert claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] == lms.urls.lineitem(item.id)


def test_same_response_cannot_be_used_twice(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str) -> None:
    token = fake_tool.sign(_response(lms, fake_tool, dl_data))
    assert _post(client, token).status_code == 200
    count = len(lms.state.placements)
    assert _post(client, token).status_code == 400
    assert len(lms.state.placements) == count


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": ["http://127.0.0.1:9999"]}, "audience"),
        ({"iss": "not-the-client"}, "issuer"),
        ({LTI + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({LTI + "deployment_id": "7"}, "deployment_id"),
        ({LTI + "version": "1.1"}, "version"),
        ({DL + "data": "made-up"}, "data"),
        ({DL + "data": None}, "data"),
        ({"nonce": None}, "nonce"),
        ({"exp": 1}, "expired"),
    ],
)
def test_refuses_bad_responses(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str, overrides: dict, reason: str
) -> None:
    count = len(lms.state.placements)
    resp = _post(client, fake_tool.sign(_response(lms, fake_tool, dl_data, **overrides)))
    assert resp.status_code == 400
    assert reason in resp.get_data(as_text=True).lower()
    assert len(lms.state.placements) == count


def test_refuses_a_forged_signature(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str) -> None:
    count = len(lms.state.placements)
    forged = fake_tool.sign(_response(lms, fake_tool, dl_data), key=new_key())  # the tool's kid, another key
    resp = _post(client, forged)
    assert resp.status_code == 400 and "signature" in resp.get_data(as_text=True).lower()
    assert len(lms.state.placements) == count
    assert _post(client, "").status_code == 400
    assert _post(client, "not-a-jwt").status_code == 400


def test_one_bad_item_adds_nothing_and_keeps_the_request_open(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str
) -> None:
    count = len(lms.state.placements)
    bad = [{"type": "ltiResourceLink", "title": "ok", "custom": {"module": "m02"}},
           {"type": "ltiResourceLink", "title": "bad", "lineItem": {"scoreMaximum": 0}}]
    resp = _post(client, fake_tool.sign(_response(lms, fake_tool, dl_data, bad)))
    assert resp.status_code == 400 and "scoreMaximum" in resp.get_data(as_text=True)
    assert len(lms.state.placements) == count
    good = [{"type": "ltiResourceLink", "title": "ok", "custom": {"module": "m02"}}]
    assert _post(client, fake_tool.sign(_response(lms, fake_tool, dl_data, good, nonce="another"))).status_code == 200


def test_item_urls_must_stay_on_the_tool(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, dl_data: str) -> None:
    items = [{"type": "ltiResourceLink", "title": "elsewhere", "url": "http://evil.example/launch"}]
    resp = _post(client, fake_tool.sign(_response(lms, fake_tool, dl_data, items)))
    assert resp.status_code == 400 and "origin" in resp.get_data(as_text=True)
