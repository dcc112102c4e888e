"""Platform key: persisted in state_dir, published with a kid, rotatable; loopback-only config."""
from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from demo_lms_helpers import BASE_URL, launch_id_token
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms, DemoLmsConfig, DemoLmsConfigError, create_demo_lms


def test_jwks_publishes_one_rs256_key_with_kid(client: FlaskClient, lms: DemoLms) -> None:
    resp = client.get("/jwks")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    (key,) = resp.get_json()["keys"]
    assert key["kid"] == lms.key.kid
    assert {key["kty"], key["alg"], key["use"]} == {"RSA", "RS256", "sig"}
    assert set(key) == {"kty", "alg", "kid", "e", "n", "use"}  # the shape of Moodle's certs.php


def test_key_is_generated_once_private_and_survives_restart(tmp_path: Path) -> None:
    cfg = DemoLmsConfig(base_url=BASE_URL, tool_base_url="http://127.0.0.1:5000", state_dir=tmp_path / "fresh")
    first = create_demo_lms(cfg).extensions["demo_lms"]
    key_file = cfg.state_dir / "platform_key.pem"
    assert key_file.stat().st_mode & 0o077 == 0
    assert create_demo_lms(cfg).extensions["demo_lms"].key.kid == first.key.kid


def test_rotation_replaces_the_kid_everywhere(client: FlaskClient, lms: DemoLms) -> None:
    old_kid = lms.key.kid
    new_kid = lms.rotate_key()
    assert new_kid != old_kid
    kids = [k["kid"] for k in client.get("/jwks").get_json()["keys"]]
    assert kids == [new_kid]
    # New launches are signed with the new key, and verify against the new JWKS.
    token, _ = launch_id_token(client, lms, lms.login_url("4", "1"))
    assert jwt.get_unverified_header(token)["kid"] == new_kid
    # ... and the rotation is on disk, so a restart keeps the new key.
    assert create_demo_lms(lms.cfg).extensions["demo_lms"].key.kid == new_kid


@pytest.mark.parametrize("base_url", ["http://0.0.0.0:5001", "http://192.168.1.10:5001", "http://lms.example.org"])
def test_refuses_a_base_url_that_is_not_loopback(tmp_path: Path, base_url: str) -> None:
    with pytest.raises(DemoLmsConfigError, match="loopback"):
        DemoLmsConfig(base_url=base_url, tool_base_url="http://127.0.0.1:5000", state_dir=tmp_path)


@pytest.mark.parametrize("base_url", ["http://localhost:5001", "http://[::1]:5001", "http://127.0.0.2:5001"])
def test_accepts_loopback_hosts(tmp_path: Path, base_url: str) -> None:
    cfg = DemoLmsConfig(base_url=base_url + "/", tool_base_url="http://127.0.0.1:5000", state_dir=tmp_path)
    assert cfg.base_url == base_url


def test_registration_values(lms: DemoLms) -> None:
    assert lms.registration_values() == {
        "issuer": BASE_URL,
        "client_id": "emm-lti-demo",
        "deployment_ids": ["1"],
        "auth_login_url": f"{BASE_URL}/mod/lti/auth.php",
        "auth_token_url": f"{BASE_URL}/token",
        "key_set_url": f"{BASE_URL}/jwks",
        "name": "Demo LMS",
    }
