"""Token endpoint: client_credentials with a tool-signed assertion, verified against the tool's JWKS over HTTP."""
from __future__ import annotations

from typing import Any

import pytest
from demo_lms_helpers import AGS_SCOPES, ALL_SCOPES, FakeTool, new_key
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _request(client: FlaskClient, assertion: str, scopes: list[str] = ALL_SCOPES, **overrides: Any):
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": " ".join(scopes),
    }
    data.update(overrides)
    return client.post("/token", data={k: v for k, v in data.items() if v is not None})


def test_issues_a_bearer_token_like_moodle(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    resp = _request(client, fake_tool.client_assertion(lms))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"].split() == ALL_SCOPES
    assert len(body["access_token"]) == 32
    assert fake_tool.jwks_hits == 1  # fetched over real HTTP from the fake tool
    assert lms.stats["token_requests"] == 1 and lms.stats["tokens_issued"] == 1


def test_grants_only_offered_scopes(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    resp = _request(client, fake_tool.client_assertion(lms), [AGS_SCOPES[3], "https://example.org/scope/other"])
    assert resp.get_json()["scope"] == AGS_SCOPES[3]
    resp = _request(client, fake_tool.client_assertion(lms), ["https://example.org/scope/other"])
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "http://127.0.0.1:5001/other"}, "audience"),
        ({"iss": "another-client"}, "issuer"),
        ({"sub": "another-client"}, "sub"),
        ({"exp": 1}, "expired"),
        ({"jti": None}, "jti"),
    ],
)
def test_refuses_bad_assertions(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, claims: dict, reason: str
) -> None:
    resp = _request(client, fake_tool.client_assertion(lms, **claims))
    assert resp.status_code == 401
    body = resp.get_json()
    assert body["error"] == "invalid_client" and reason in body["error_description"].lower()


def test_refuses_a_forged_signature(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    forged = fake_tool.client_assertion(lms, key=new_key())  # the tool's kid, another key
    resp = _request(client, forged)
    assert resp.status_code == 401 and "signature" in resp.get_json()["error_description"].lower()


def test_refuses_a_replayed_assertion(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    assertion = fake_tool.client_assertion(lms)
    assert _request(client, assertion).status_code == 200
    resp = _request(client, assertion)
    assert resp.status_code == 401 and "replay" in resp.get_json()["error_description"]


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_assertion_type": "urn:other"}, "invalid_request"),
        ({"client_assertion": None}, "invalid_request"),
    ],
)
def test_refuses_bad_requests(
    client: FlaskClient, lms: DemoLms, fake_tool: FakeTool, override: dict, error: str
) -> None:
    resp = _request(client, fake_tool.client_assertion(lms), **override)
    assert resp.status_code == 400 and resp.get_json()["error"] == error


def test_follows_a_tool_key_rotation(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    assert _request(client, fake_tool.client_assertion(lms)).status_code == 200
    fake_tool.rotate()
    assert _request(client, fake_tool.client_assertion(lms)).status_code == 200
    assert fake_tool.jwks_hits == 2  # an unknown kid triggered one re-fetch


def test_a_tool_jwks_that_is_down_is_a_clear_401(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    fake_tool.published = []
    resp = _request(client, fake_tool.client_assertion(lms))
    assert resp.status_code == 401 and "no key with kid" in resp.get_json()["error_description"]
