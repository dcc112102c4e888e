"""Logs never hold a launch reference, an invitation code or a registration token: the app logs
the path with them redacted, and so does the access log."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import requests
from flask import Flask

from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime
from lti_tool.logs import GunicornLogger
from security_support import launched, staff, tool_log


def test_refusals_log_no_reference_or_code(app: Flask, launcher, tool_server) -> None:
    facilitator = staff(launcher, sub="LOG-F")
    learner = launched(launcher, sub="LOG-L")
    with app.app_context():
        code_url = issue_invite(runtime(app).state_store, tool_server.url, 3600).url
    with tool_log() as log:
        assert facilitator.get("/admin/").status_code == 403
        assert facilitator.get("/m/m99/").status_code == 404
        assert learner.get("/facilitator/export.csv").status_code == 403
        assert requests.get(code_url, params={"openid_configuration": "http://127.0.0.1:9/x",
                                              "registration_token": "reg-secret"}, timeout=10).status_code == 502
    text = log.getvalue()
    assert "refused GET /l/<ref>/admin/: 403" in text
    assert "refused GET /lti/register/<code>: 502" in text
    for secret in (facilitator.ref, learner.ref, code_url.rsplit("/", 1)[1], "reg-secret"):
        assert secret not in text


def test_the_access_log_is_redacted() -> None:
    logger = GunicornLogger(SimpleNamespace(**{
        "errorlog": "-", "loglevel": "info", "accesslog": None, "syslog": False, "logconfig": None,
        "logconfig_dict": {}, "logconfig_json": None, "capture_output": False, "disable_redirect_access_to_syslog": False,
        "access_log_format": "%(r)s %(U)s %(f)s", "user": 0, "group": 0, "statsd_host": None, "dogstatsd_tags": "",
        "statsd_prefix": "", "enable_backlog_metric": False}))
    ref = "0123456789abcdef0123456789abcdef.axLiCA.SIGNATURE-value"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/l/{ref}/facilitator/export.csv",
               "PATH_INFO": f"/l/{ref}/facilitator/export.csv", "SERVER_PROTOCOL": "HTTP/1.1",
               "QUERY_STRING": "", "HTTP_REFERER": f"https://tool.example/l/{ref}/facilitator/"}
    atoms = logger.atoms(SimpleNamespace(status="200 OK", headers=[], sent=10), SimpleNamespace(headers=[]),
                         environ, timedelta(seconds=0))
    line = " ".join(str(atoms[key]) for key in ("r", "U", "f"))
    assert ref not in line and line.count("/l/<ref>/") == 3
    register = logger.atoms(SimpleNamespace(status="502", headers=[], sent=1), SimpleNamespace(headers=[]),
                            {**environ, "RAW_URI": "/lti/register/CODE123?openid_configuration=x&registration_token=tok",
                             "QUERY_STRING": "openid_configuration=x&registration_token=tok"}, timedelta(seconds=0))
    assert "CODE123" not in register["r"] and "/lti/register/<code>?" in register["r"]
    assert "=tok" not in register["r"] and "=tok" not in register["q"]
