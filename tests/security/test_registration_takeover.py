"""Dynamic registration (or `platform add`) cannot take over an existing platform; changes are an
operator's `platform edit`, logged at WARNING with the old and new values."""
from __future__ import annotations

import logging

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from lti_helpers import TOOL_CONFIGURATION, FakePlatform, KeyServer, Launcher, RegisteringLms
from lti_tool.cli import main
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime
from security_support import ADMIN, ROLES


def cli(app: Flask, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def invite(app: Flask, tool_url: str, issuer: str | None = None) -> str:
    with app.app_context():
        return issue_invite(runtime(app).state_store, tool_url, 3600, issuer=issuer).url


def open_link(link: str, configuration_url: str) -> requests.Response:
    return requests.get(link, params={"openid_configuration": configuration_url, "registration_token": "t"},
                        timeout=10)


def row(app: Flask, issuer: str, client_id: str) -> Platform:
    with app.app_context():
        found = db.session.scalar(select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id))
        db.session.expunge(found)
        return found


@pytest.fixture
def attacker(tool_server, key_server: KeyServer, platform: FakePlatform) -> RegisteringLms:
    """Serves a configuration *under the victim's issuer* that names the attacker's key set and a
    registration endpoint answering with the victim's client_id."""
    lms = RegisteringLms(key_server, tool_server.url)
    victim_path = "/" + platform.slug
    lms.configuration.update({"issuer": platform.issuer, "jwks_uri": lms.platform.key_set_url,
                              "registration_endpoint": platform.issuer + "/uploads/register"})
    lms.answer["client_id"] = platform.client_id
    key_server.routes[victim_path + "/uploads/openid-configuration"] = lms._configuration
    key_server.routes[victim_path + "/uploads/register"] = lms._register
    lms.url = platform.issuer + "/uploads/openid-configuration"
    return lms


def test_registration_for_an_existing_platform_is_refused(app: Flask, tool_server, platform: FakePlatform,
                                                         attacker: RegisteringLms) -> None:
    before = row(app, platform.issuer, platform.client_id)
    # even with an invitation made for that very issuer
    page = open_link(invite(app, tool_server.url, issuer=platform.issuer), attacker.url)
    assert page.status_code == 409
    assert "already registered" in page.text and platform.client_id in page.text
    after = row(app, platform.issuer, platform.client_id)
    assert (after.key_set_url, after.auth_token_url, after.auth_login_url) == (
        before.key_set_url, before.auth_token_url, before.auth_login_url)
    # the attacker's key cannot sign an admin launch for the victim
    forged = Launcher(tool_server.url, platform)
    platform_key, platform.key, platform.kid = platform.key, attacker.platform.key, attacker.platform.kid
    try:
        assert forged.launch(**{ROLES: ADMIN}).status_code == 400
    finally:
        platform.key = platform_key


def test_an_unbound_invitation_cannot_add_a_registration_for_a_registered_issuer(
        app: Flask, tool_server, platform: FakePlatform, attacker: RegisteringLms) -> None:
    attacker.answer["client_id"] = "attacker-client"
    page = open_link(invite(app, tool_server.url), attacker.url)
    assert page.status_code == 409
    assert "platform invite --issuer" in page.text
    assert attacker.requests == []  # refused before the tool registered anywhere
    with app.app_context():
        assert db.session.scalar(select(Platform).where(Platform.client_id == "attacker-client")) is None


def test_an_invitation_bound_to_an_issuer_is_refused_by_another_lms(app: Flask, tool_server,
                                                                    key_server: KeyServer) -> None:
    lms = RegisteringLms(key_server, tool_server.url)
    page = open_link(invite(app, tool_server.url, issuer="https://moodle.other.example"), lms.configuration_url)
    assert page.status_code == 403
    assert "https://moodle.other.example" in page.text
    assert lms.requests == []
    # bound to the right issuer, it works (and registers that LMS)
    assert open_link(invite(app, tool_server.url, issuer=lms.base), lms.configuration_url).status_code == 200
    assert lms.answer[TOOL_CONFIGURATION]["deployment_id"] == lms.platform.deployment_id


def test_platform_add_refuses_an_existing_platform_and_edit_logs_the_change(
        app: Flask, platform: FakePlatform, caplog: pytest.LogCaptureFixture) -> None:
    reg = platform.registration()
    args = ["platform", "add", "--issuer", reg["issuer"], "--client-id", reg["client_id"], "--deployment-id", "9",
            "--auth-login-url", reg["auth_login_url"], "--auth-token-url", reg["auth_token_url"],
            "--key-set-url", "http://127.0.0.1:9/evil/jwks"]
    added = cli(app, *args)
    assert added.exit_code == 2
    assert "already registered" in added.output and reg["client_id"] in added.output
    assert row(app, reg["issuer"], reg["client_id"]).key_set_url == reg["key_set_url"]

    with caplog.at_level(logging.WARNING, logger="lti_tool.platforms.services"):
        edited = cli(app, "platform", "edit", "--issuer", reg["issuer"], "--client-id", reg["client_id"],
                     "--key-set-url", reg["key_set_url"] + "?v=2", "--service-host", "grades.example.org")
    assert edited.exit_code == 0, edited.output
    changed = row(app, reg["issuer"], reg["client_id"])
    assert changed.key_set_url == reg["key_set_url"] + "?v=2" and changed.service_hosts == ["grades.example.org"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"key_set_url changed from {reg['key_set_url']!r} to {reg['key_set_url'] + '?v=2'!r}" in " ".join(warnings)
    assert "service_hosts changed from [] to ['grades.example.org']" in " ".join(warnings)


def test_platform_edit_checks_its_values(app: Flask, platform: FakePlatform) -> None:
    bad = cli(app, "platform", "edit", "--issuer", platform.issuer, "--client-id", platform.client_id,
              "--auth-token-url", "http://lms.example.org/token")
    assert bad.exit_code == 2 and "auth-token-url" in bad.output and "https" in bad.output
    host = cli(app, "platform", "edit", "--issuer", platform.issuer, "--client-id", platform.client_id,
               "--service-host", "https://grades.example.org/x")
    assert host.exit_code == 2 and "service-host" in host.output
    missing = cli(app, "platform", "edit", "--issuer", platform.issuer, "--client-id", "nobody", "--name", "x")
    assert missing.exit_code == 2 and "no platform" in missing.output
