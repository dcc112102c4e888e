"""Hardening: forms post only to the tool (CSP form-action), the deep-linking answer goes only to the
platform, a minimum secret length, the frame origin only for a known invitation, and the server
settings (EMM_ACCESS_LOG, EMM_FORWARDED_ALLOW_IPS, EMM_STAFF_TTL) read and checked by Settings."""
from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask

from lti_helpers import Launcher
from lti_tool.config import ConfigError, Settings
from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime

DL = "07_id_token_deep_linking_request.json"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def picker(launcher: Launcher, return_url: str | None = None) -> requests.Response:
    overrides = {}
    if return_url is not None:
        settings = launcher.platform.claims("n", DL)[DL_SETTINGS]
        overrides[DL_SETTINGS] = {**settings, "deep_link_return_url": return_url}
    response = launcher.launch(DL, **overrides)
    assert response.status_code == 303, response.text[:300]
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


def choose(page: requests.Response) -> requests.Response:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    return requests.post(page.url, data={"csrf_token": token, "modules": ["m01"]}, timeout=10)


def test_forms_post_only_to_the_tool(launcher: Launcher) -> None:
    page = picker(launcher)
    assert page.headers["Content-Security-Policy"].endswith("; form-action 'self'")
    reply = choose(page)
    assert reply.status_code == 200
    origin = launcher.platform.key_server.url
    assert reply.headers["Content-Security-Policy"].endswith(f"; form-action 'self' {origin}")


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)//", "https://evil.example/return",
                                 "http://lms.example.org/return"])
def test_the_deep_linking_answer_goes_only_to_the_platform(launcher: Launcher, url: str) -> None:
    refused = choose(picker(launcher, url))
    assert refused.status_code == 400
    assert "not its own" in refused.text
    assert 'name="JWT"' not in refused.text


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_env(env={"EMM_SECRET_KEY": "short-secret"}, instance_path=str(tmp_path))


def test_no_frame_origin_without_an_invitation(app: Flask, tool_server) -> None:
    params = {"openid_configuration": "http://localhost:9/mod/lti/openid-configuration.php"}
    refused = requests.get(tool_server.url + "/lti/register/not-a-code", params=params, timeout=10)
    assert refused.status_code == 403 and "http://localhost:9" not in refused.headers["Content-Security-Policy"]
    with app.app_context():
        link = issue_invite(runtime(app).state_store, tool_server.url, 3600).url
    known = requests.get(link, params=params, timeout=10)
    assert "http://localhost:9" in known.headers["Content-Security-Policy"]


def test_server_settings_are_settings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lti_tool.config"):
        settings = Settings.from_env(env={"EMM_ACCESS_LOG": "-", "EMM_FORWARDED_ALLOW_IPS": "10.0.0.0/8, 127.0.0.1"},
                                     instance_path=str(tmp_path))
    assert "unknown setting" not in caplog.text
    assert settings.access_log == "-" and settings.forwarded_allow_ips == "10.0.0.0/8,127.0.0.1"
    with pytest.raises(ConfigError, match="EMM_FORWARDED_ALLOW_IPS"):
        Settings.from_env(env={"EMM_FORWARDED_ALLOW_IPS": "proxy.example"}, instance_path=str(tmp_path))


def test_a_staff_ttl_is_a_setting(tmp_path: Path) -> None:
    assert Settings.from_env(env={"EMM_STAFF_TTL": "600"}, instance_path=str(tmp_path)).staff_ttl == 600
    with pytest.raises(ConfigError, match="EMM_STAFF_TTL"):
        Settings.from_env(env={"EMM_STAFF_TTL": "5"}, instance_path=str(tmp_path))
