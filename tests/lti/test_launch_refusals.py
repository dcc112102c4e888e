"""Every bad launch: a 4xx page naming the problem, and no row written."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from lti_helpers import DROP, Launcher, FakePlatform, rsa_key
from lti_tool.courses.models import Course, Enrolment, Participant, Placement
from lti_tool.extensions import db
from lti_tool.lti.models import Launch, UsedNonce

RL = "02_id_token_student_resource_link.json"
MSG = "https://purl.imsglobal.org/spec/lti/claim/message_type"
VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Placement, Participant, Enrolment, Launch, UsedNonce)
        }


@pytest.fixture
def refused(app: Flask):
    """Assert a response is the given 4xx, names the problem, and that nothing was written."""
    before = row_counts(app)

    def check(response: requests.Response, status: int, *phrases: str) -> None:
        assert response.status_code == status, response.text[:500]
        assert "text/html" in response.headers["Content-Type"]
        for phrase in phrases:
            assert phrase in response.text, f"{phrase!r} not in the page"
        assert "Traceback" not in response.text
        assert row_counts(app) == before

    return check


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# -- registration --------------------------------------------------------------------------------

def test_login_from_unknown_issuer(launcher: Launcher, refused) -> None:
    login = launcher.login(iss="https://unknown.example", client_id="nobody")
    refused(login.response, 400, "no registration for issuer", "https://unknown.example")


def test_launch_with_unknown_client_id(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce, aud="someone-else"))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "no registration", "someone-else")


def test_launch_from_unknown_deployment(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce, **{DEPLOYMENT: "99"}))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "Deployment &#39;99&#39; is not registered")


def test_login_names_unknown_deployment(launcher: Launcher, refused) -> None:
    refused(launcher.login(lti_deployment_id="42").response, 400, "Deployment &#39;42&#39; is not registered")


# -- keys and signatures ---------------------------------------------------------------------------

def test_missing_kid(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = jwt.encode(platform.claims(login.nonce), platform.key, algorithm="RS256")
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "no key id (kid)")


def test_unknown_kid(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce), kid="not-a-kid")
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "not-a-kid", "not in the LMS")


def test_signature_by_another_key(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce), key=rsa_key())  # right kid, wrong key
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "signed by another key")


def test_alg_none(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': platform.kid})}.{_b64(platform.claims(login.nonce))}."
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "algorithm &#39;none&#39;", "RS256")


def test_alg_hs256(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    # the classic confusion attack: HMAC keyed with the platform's public key
    token = jwt.encode(platform.claims(login.nonce), "a-shared-secret-of-thirty-two-bytes!",
                       algorithm="HS256", headers={"kid": platform.kid})
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "algorithm &#39;HS256&#39;")


# -- time ------------------------------------------------------------------------------------------

def test_expired_token(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    now = int(time.time())
    token = platform.sign(platform.claims(login.nonce, iat=now - 300, exp=now - 120))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "expired")


def test_iat_in_the_future(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    now = int(time.time())
    token = platform.sign(platform.claims(login.nonce, iat=now + 600, exp=now + 660))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "issued in the future")


# -- audience, nonce, state --------------------------------------------------------------------------

def test_wrong_aud_with_azp(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce, aud=["other-tool"], azp=platform.client_id))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "authorized party (azp)")


def test_missing_nonce(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    claims = platform.claims(login.nonce)
    del claims["nonce"]
    token = platform.sign(claims)
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "no nonce")


def test_nonce_replay_is_refused(launcher: Launcher, platform: FakePlatform, app: Flask) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    first = launcher.post_launch(token, login.state, login.cookies)
    assert first.status_code == 303
    before = row_counts(app)
    # the same form posted again: its state was consumed
    again = launcher.post_launch(token, login.state, login.cookies)
    assert again.status_code == 400 and "state is unknown or has expired" in again.text
    # the old id_token with a fresh login's state: its nonce is not the one issued for that state
    second = launcher.login()
    replay = launcher.post_launch(token, second.state, second.cookies)
    assert replay.status_code == 400 and "nonce is not the one this tool sent" in replay.text
    assert row_counts(app) == before


def test_missing_state(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    refused(launcher.post_launch(token, None, login.cookies), 400, "no state")


def test_state_mismatch(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    refused(launcher.post_launch(token, "st-made-up", login.cookies), 400, "state is unknown")


def test_state_without_its_cookie(launcher: Launcher, platform: FakePlatform, refused) -> None:
    """Another browser posting someone's state (login CSRF): no cookie, no platform storage."""
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    refused(launcher.post_launch(token, login.state, {}), 403, "Open in a new window")


# -- message claims ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "phrase"),
    [
        ({MSG: DROP}, "no message_type"),
        ({MSG: "LtiSubmissionReviewRequest"}, "LtiSubmissionReviewRequest"),
        ({VERSION: "1.1"}, "version &#39;1.1&#39; is not supported"),
        ({"sub": DROP}, "no subject (sub)"),
        ({"sub": "u" * 256}, "longer than 255 characters"),
        ({LINK: {"title": "no id"}}, "no resource_link id"),
        ({ROLES: DROP}, "no roles claim"),
        ({"iss": DROP}, "no issuer (iss)"),
        ({DEPLOYMENT: DROP}, "no deployment_id"),
    ],
    ids=["no-message-type", "wrong-message-type", "wrong-version", "no-sub", "long-sub", "no-resource-link-id",
         "no-roles", "no-iss", "no-deployment-id"],
)
def test_bad_claims(launcher: Launcher, platform: FakePlatform, refused, overrides, phrase) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce, **overrides))
    refused(launcher.post_launch(token, login.state, login.cookies), 400, phrase)


@pytest.mark.parametrize(("token", "phrase"), [("not-a-jwt", "not a JWT"), ("a.b.c", "cannot be decoded")])
def test_garbage_id_token(launcher: Launcher, refused, token: str, phrase: str) -> None:
    login = launcher.login()
    refused(launcher.post_launch(token, login.state, login.cookies), 400, phrase)


def test_deeply_nested_payload(launcher: Launcher, platform: FakePlatform, refused) -> None:
    """JSON nested deeper than a parser's recursion limit is a bad token, not a server error."""
    login = launcher.login()
    payload = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()
    token = f"{_b64({'alg': 'RS256', 'typ': 'JWT', 'kid': platform.kid})}.{payload}.c2ln"
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "cannot be decoded")


def test_a_claim_pyjwt_refuses_is_named(launcher: Launcher, platform: FakePlatform, refused) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce, sub=12345))  # sub must be text
    refused(launcher.post_launch(token, login.state, login.cookies), 400, "subject (sub) is not text")


def test_oversized_id_token(launcher: Launcher, refused) -> None:
    login = launcher.login()
    refused(launcher.post_launch("x" * 20_000 + ".a.b", login.state, login.cookies), 413, "larger than")


def test_missing_id_token(launcher: Launcher, refused) -> None:
    login = launcher.login()
    refused(launcher.post_launch(None, login.state, login.cookies), 400, "no id_token")


def test_get_on_launch_url(launcher: Launcher, refused) -> None:
    response = requests.get(launcher.tool_url + "/lti/launch", timeout=10)
    refused(response, 405, "only accepts the form the LMS posts")


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_login_missing_parameter(launcher: Launcher, refused, missing: str) -> None:
    refused(launcher.login(**{missing: ""}).response, 400, missing)


def test_login_target_on_another_site(launcher: Launcher, refused) -> None:
    refused(launcher.login(target_link_uri="https://evil.example/launch").response, 400, "points to another site")
