"""Helpers for the demo LMS tests: a fake tool (key, JWKS, signing) and the launch/token steps a tool takes."""
from __future__ import annotations

import html
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm

from lti_tool.demo_lms import DemoLms

BASE_URL = "http://127.0.0.1:5001"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ALL_SCOPES = [*AGS_SCOPES, NRPS_SCOPE]


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeTool:
    """The tool side: an RSA key whose public half is served at {url}/.well-known/jwks.json."""

    url: str
    key: rsa.RSAPrivateKey
    kid: str = "tool-key-1"
    jwks_hits: int = 0
    published: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.published:
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        return {"keys": keys}

    def rotate(self) -> None:
        """Publish a new key under a new kid, and drop the old one (a tool key rotation)."""
        self.key, self.kid = new_key(), f"tool-key-{uuid.uuid4().hex[:8]}"
        self.published = [(self.kid, self.key)]

    def sign(self, claims: dict[str, Any], *, key: rsa.RSAPrivateKey | None = None, kid: str | None = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def client_assertion(self, lms: DemoLms, *, key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": lms.cfg.client_id,
            "sub": lms.cfg.client_id,
            "aud": lms.urls.token,
            "iat": now - 5,
            "exp": now + 60,
            "jti": f"lti-service-token-{uuid.uuid4()}",
        }
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None}, key=key)


# -- helpers used by several test files -------------------------------------------------------------


def form_fields(body: str) -> dict[str, str]:
    """The hidden fields of an auto-submitting form_post page."""
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)
    }


def form_action(body: str) -> str:
    match = re.search(r'<form [^>]*action="([^"]+)"', body)
    assert match, body
    return html.unescape(match.group(1))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def auth_params(lms: DemoLms, login_url: str, **overrides: str | None) -> dict[str, str]:
    """What a tool sends to /auth after receiving login_url (pylti1p3's redirect), with overrides."""
    login = query(login_url)
    params: dict[str, str | None] = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": login["client_id"],
        "redirect_uri": lms.cfg.tool_launch_url,
        "login_hint": login["login_hint"],
        "lti_message_hint": login["lti_message_hint"],
        "state": "state-123",
        "nonce": f"nonce-{uuid.uuid4().hex}",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def launch_id_token(client: FlaskClient, lms: DemoLms, login_url: str, **overrides: str | None) -> tuple[str, dict]:
    """Run /auth for login_url; return the raw id_token and its claims verified against /jwks."""
    params = auth_params(lms, login_url, **overrides)
    resp = client.get("/mod/lti/auth.php", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    fields = form_fields(resp.get_data(as_text=True))
    assert "id_token" in fields, fields
    assert fields["state"] == params["state"]
    return fields["id_token"], decode_platform_jwt(client, lms, fields["id_token"])


def decode_platform_jwt(client: FlaskClient, lms: DemoLms, token: str) -> dict[str, Any]:
    jwks = client.get("/jwks").get_json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=lms.cfg.client_id, issuer=lms.cfg.issuer
    )


def access_token(client: FlaskClient, lms: DemoLms, tool: FakeTool, scopes: list[str] = ALL_SCOPES) -> str:
    resp = client.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": tool.client_assertion(lms),
            "scope": " ".join(scopes),
        },
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["access_token"]


def moodle_fixture(name: str) -> dict[str, Any]:
    """A Moodle capture, from the captures of a real Moodle kept in tests/fixtures/moodle."""
    root = Path(__file__).resolve().parents[1] / "fixtures" / "moodle"
    path = next(iter(sorted(root.glob(f"{name}_*.json"))), None)
    assert path is not None, f"Moodle fixture {name} not found under {root}"
    return json.loads(path.read_text(encoding="utf-8"))
