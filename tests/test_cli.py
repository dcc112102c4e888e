"""The `emm-lti` command line: registration, keys, grades, worker; bad values exit 2 naming the field."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from lti_tool.cli import main

GOOD = ["--issuer", "https://moodle.example.org", "--deployment-id", "1",
        "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
        "--key-set-url", "https://moodle.example.org/mod/lti/certs.php"]


@pytest.fixture
def run(app: Flask):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


def test_platform_add_list_remove(run) -> None:
    client_id = "cli-" + secrets.token_hex(3)
    added = run("platform", "add", "--client-id", client_id, *GOOD, "--deployment-id", "2", "--name", "Moodle GD")
    assert added.exit_code == 0, added.output
    assert f"client {client_id}, deployments 1, 2" in added.output
    again = run("platform", "add", "--client-id", client_id, *GOOD, "--deployment-id", "3")
    assert again.exit_code == 2 and "already registered" in again.output and client_id in again.output
    edited = run("platform", "edit", "--issuer", "https://moodle.example.org", "--client-id", client_id,
                 "--add-deployment-id", "3")
    assert edited.exit_code == 0 and "deployments added: 3" in edited.output
    listed = run("platform", "list")
    assert client_id in listed.output and "1,2,3" in listed.output
    removed = run("platform", "remove", "--issuer", "https://moodle.example.org", "--client-id", client_id, "--yes")
    assert removed.exit_code == 0
    assert client_id not in run("platform", "list").output


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"--issuer": "http://moodle.example.org"}, "issuer"),
        ({"--auth-login-url": "ftp://moodle.example.org/auth"}, "auth-login-url"),
        ({"--auth-token-url": "http://moodle.example.org/token"}, "auth-token-url"),
        ({"--key-set-url": "not a url"}, "key-set-url"),
        ({"--deployment-id": " "}, "deployment-id"),
    ],
)
def test_platform_add_refuses_bad_values(run, change: dict[str, str], field: str) -> None:
    args = list(GOOD)
    for flag, value in change.items():
        args[args.index(flag) + 1] = value
    result = run("platform", "add", "--client-id", "bad-" + secrets.token_hex(3), *args)
    assert result.exit_code == 2
    assert f"Error: {field}:" in result.output
    assert "Traceback" not in result.output


def test_platform_add_missing_option_exits_2(run) -> None:
    result = run("platform", "add", "--issuer", "https://x.example")
    assert result.exit_code == 2 and "Missing option" in result.output


def test_http_allowed_on_loopback(run) -> None:
    result = run("platform", "add", "--issuer", "http://127.0.0.1:9000", "--client-id", "loop-" + secrets.token_hex(3),
                 "--deployment-id", "1", "--auth-login-url", "http://localhost:9000/auth",
                 "--auth-token-url", "http://127.0.0.1:9000/token", "--key-set-url", "http://[::1]:9000/jwks")
    assert result.exit_code == 0, result.output


def test_keys_rotate_keeps_the_old_key_published(run, tool_server) -> None:
    before = {k["kid"] for k in requests.get(tool_server.url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    rotated = run("keys", "rotate")
    assert rotated.exit_code == 0
    new_kid = rotated.output.split()[3].rstrip(";")
    jwks = {k["kid"] for k in requests.get(tool_server.url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    assert jwks == before | {new_kid}
    listing = run("keys", "list").output
    assert f"{new_kid}\tactive" in listing
    assert "PRIVATE" not in listing
    old = sorted(before)[0]
    assert run("keys", "retire", old).exit_code == 0
    assert old not in {k["kid"] for k in requests.get(tool_server.url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    refused = run("keys", "retire", new_kid)
    assert refused.exit_code == 2 and "is the active key" in refused.output
    assert run("keys", "retire", "no-such-kid").exit_code == 2


def test_grades_commands(run) -> None:
    status = run("grades", "status")
    assert status.exit_code == 0 and "delivered" in status.output
    assert run("grades", "status", "--course", "no-such-course").exit_code == 2
    resend = run("grades", "resend", "--failed")
    assert resend.exit_code == 0 and "scores queued again" in resend.output
    worker = run("worker", "--once")
    assert worker.exit_code == 0 and "deliveries attempted" in worker.output


def test_init_is_idempotent(run) -> None:
    assert run("init").exit_code == 0
    assert run("init").exit_code == 0


def test_platform_invite_prints_a_one_time_link(run, app) -> None:
    from lti_tool.runtime import runtime

    result = run("platform", "invite", "--tool-url", "https://emm.example.org/", "--hours", "2")
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("https://emm.example.org/lti/register/")
    code = link.rsplit("/", 1)[1]
    store = runtime(app).state_store
    assert store.get("registration-invite:" + code)["tool_url"] == "https://emm.example.org"


@pytest.mark.parametrize(("args", "named"), [
    (["--tool-url", "http://emm.example.org"], "tool-url"),
    (["--tool-url", "emm.example.org"], "tool-url"),
    (["--tool-url", "https://emm.example.org?x=1"], "tool-url"),
    (["--tool-url", "https://emm.example.org", "--hours", "0"], "--hours"),
])
def test_platform_invite_refuses_bad_values(run, args: list[str], named: str) -> None:
    result = run("platform", "invite", *args)
    assert result.exit_code == 2
    assert named in result.output


@pytest.mark.parametrize(("name", "value", "named"), [
    ("EMM_RETENTION_DAYS", "a year", "EMM_RETENTION_DAYS must be a whole number"),
    ("EMM_CLOCK_LEEWAY", "9999", "EMM_CLOCK_LEEWAY must be between 0 and 300"),
    ("EMM_CACHE_URL", "memcached://x", "EMM_CACHE_URL must start with file:// or redis://"),
])
def test_a_bad_setting_exits_2_naming_it(tmp_path, name: str, value: str, named: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMM_")}
    env.update({"EMM_INSTANCE_PATH": str(tmp_path), name: value})
    result = subprocess.run([sys.executable, "-m", "lti_tool.cli", "platform", "list"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-500:]
    assert named in result.stderr
    assert "Traceback" not in result.stderr
