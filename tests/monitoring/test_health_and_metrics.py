"""/healthz, /readyz, /metrics and request ids, in the process (the multi-process checks are in
test_metrics_processes.py)."""
from __future__ import annotations

import io
import json
import logging
import re
import secrets
from pathlib import Path

import pytest
from flask import Flask

from process_support import free_port
from lti_tool.app import create_app
from lti_tool.cli import init_database
from lti_tool.config import ConfigError, Settings
from lti_tool.logs import REQUEST_ID, RequestIdFilter, make_formatter

TOKEN = secrets.token_urlsafe(32)


def isolated_app(tmp_path: Path, **settings) -> Flask:
    values = {"instance_path": str(tmp_path), "secret_key": "k" * 40, "embedded_worker": False, **settings}
    return create_app(Settings.from_env(env={}, **values))


def test_healthz_and_readyz_when_all_is_well(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ok" and ready.json["down"] == []
    assert set(ready.json["checks"]) == {"database", "launch_state_store"}
    assert ready.headers["Cache-Control"] == "no-store"


def test_database_down_readyz_names_it_and_pages_answer_503(tmp_path: Path) -> None:
    """A database nobody answers on: /healthz still 200 (the process lives), /readyz 503 naming the
    database, and a request that needs it gets the 'briefly unavailable' page, not a 500."""
    from lti_tool.platforms.directory import directory

    app = isolated_app(tmp_path, database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    directory.clear()  # the per-process platform list: other tests' apps filled it from their databases
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["down"] == ["database"]
    assert ready.json["checks"]["launch_state_store"]["ok"] is True
    assert ready.headers["Retry-After"] == "5"
    assert "nobody" not in ready.get_data(as_text=True)  # no connection string in the answer
    page = client.post("/lti/login", data={"iss": "https://lms.example", "login_hint": "1", "client_id": "c",
                                           "target_link_uri": "http://localhost/lti/launch"})
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Please try again in a minute" in page.get_data(as_text=True)


def test_state_store_down_readyz_names_it(tmp_path: Path) -> None:
    app = isolated_app(tmp_path, cache_url=f"redis://127.0.0.1:{free_port()}/0", ready_timeout=0.5)
    init_database(app)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["down"] == ["launch_state_store"]
    assert ready.json["checks"]["database"]["ok"] is True


@pytest.mark.parametrize("settings, message", [
    ({"metrics": True}, "set EMM_METRICS_TOKEN"),
    ({"metrics": True, "metrics_token": "short"}, "at least 24"),
    ({"log_format": "yaml"}, "EMM_LOG_FORMAT must be one of text, json"),
    ({"log_level": "LOUD"}, "EMM_LOG_LEVEL must be one of"),
    ({"forwarded_allow_ips": "10.0.0.1, proxy.local"}, "'proxy.local' is not an IP address"),
    ({"ready_timeout": "0"}, "EMM_READY_TIMEOUT must be between"),
    ({"grade_lease": "0.5"}, "EMM_GRADE_LEASE must be between"),
])
def test_bad_operations_settings_are_named(tmp_path: Path, settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(env={}, instance_path=str(tmp_path), secret_key="k" * 40, **settings)


def test_metrics_are_off_by_default(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token_and_count_what_happens(tmp_path: Path) -> None:
    app = isolated_app(tmp_path, metrics=True, metrics_token=TOKEN)
    init_database(app)
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 43}).status_code == 401
    for _ in range(3):
        client.get("/healthz")
    assert client.get("/l/forged.ref.value/m/m01/").status_code == 401
    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scrape.status_code == 200 and scrape.headers["Content-Type"].startswith("text/plain")
    text = scrape.get_data(as_text=True)
    assert _value(text, 'emm_http_request_duration_seconds_count{endpoint="monitoring.healthz",method="GET",status="2xx"}') >= 3
    assert _value(text, 'emm_refusals_total{reason="launch_expired"}') >= 1
    assert _value(text, 'emm_grade_queue{status="pending"}') == 0
    assert _value(text, "emm_grade_oldest_owed_seconds") == 0
    assert _value(text, "emm_database_up") == 1
    assert "forged" not in text  # labels are routes, never paths


def _value(text: str, series: str) -> float:
    match = re.search("^" + re.escape(series) + r" ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{series} not in the metrics"
    return float(match.group(1))


def test_request_id_is_kept_when_sane_and_made_otherwise(app: Flask, launcher) -> None:
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234567890abcdef"}).headers["X-Request-ID"] == \
        "lb-1234567890abcdef"
    for odd in ("short", "has space inside it", "x" * 200, "<script>alert(1)</script>"):
        made = client.get("/healthz", headers={"X-Request-ID": odd}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), odd
    # the login front answers before Flask: it carries one too
    assert re.fullmatch(r"[0-9a-f]{32}", launcher.login().response.headers["X-Request-ID"])


def test_json_log_lines_carry_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter("json"))
    logger = logging.getLogger("emm-test-json")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("rid-0123456789")
    try:
        logger.warning("quiz %s submitted", "m01")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "quiz m01 submitted" and line["request_id"] == "rid-0123456789"
    assert line["level"] == "WARNING" and line["logger"] == "emm-test-json" and line["time"]
