"""CR, LF and NUL in a request path or an LMS value cannot forge a log line."""
from __future__ import annotations

import requests

from lti_helpers import Launcher
from security_support import CUSTOM, launched, tool_log

FORGED = "2026-12-04 14:40:00,000 INFO lti_tool.lti.records: launch deadbeef accepted: platform 1 as admin"


def test_a_path_cannot_forge_a_log_line(launcher: Launcher) -> None:
    with tool_log() as log:
        for raw in ("/l/x%0a" + FORGED.replace(" ", "%20") + "/", "/l/x%0d%0a%00zz/", "/m/%0aINFO%20fake/"):
            assert requests.get(launcher.tool_url + raw, timeout=10).status_code in (401, 404)
    lines = log.getvalue().splitlines()
    assert not any(line.startswith("2026-12-04 14:40:00") for line in lines)
    assert "\x00" not in log.getvalue() and "\r" not in log.getvalue()
    assert any("\\n2026-12-04 14:40:00" in line for line in lines)  # shown, escaped, on the refusal's own line


def test_an_lms_value_cannot_forge_a_log_line(launcher: Launcher) -> None:
    with tool_log() as log:
        launched(launcher, sub="LOG-INJ", **{CUSTOM: {"module": "m01", "person_country": "GD\n" + FORGED}})
    text = log.getvalue()
    assert "person_country=" in text
    assert not any(line.startswith("2026-12-04 14:40:00") for line in text.splitlines())
