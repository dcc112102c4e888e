"""`emm-lti serve` does not face slow clients itself: it binds loopback, and any other address
only with --behind-proxy (a buffering reverse proxy hands it whole requests)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from lti_tool.cli import main
from lti_tool.server import check_bind, serve_options


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "tool.example.org"])
def test_serve_refuses_a_public_address_without_a_proxy(app: Flask, host: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", host, "--port", "1"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 2
    assert "buffering reverse proxy" in result.output and "--behind-proxy" in result.output


def test_loopback_or_a_declared_proxy_is_accepted() -> None:
    check_bind("127.0.0.1", behind_proxy=False)
    check_bind("localhost", behind_proxy=False)
    check_bind("0.0.0.0", behind_proxy=True)


def test_the_server_settings_come_from_settings(app: Flask) -> None:
    options = serve_options("127.0.0.1", 8000, 2, 4, app.config["EMM"])
    assert options["logger_class"] == "lti_tool.logs.GunicornLogger"
    assert options["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert options["limit_request_line"] <= 8190 and options["limit_request_fields"] <= 100
