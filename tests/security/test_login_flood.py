"""Login parameters are bounded and refused beyond (413, naming them) before anything is stored;
the state store is bounded and pruned by `emm-lti purge` (and the grade worker's purge)."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo

from lti_helpers import Launcher
from lti_tool.cli import main
from lti_tool.runtime import runtime
from lti_tool.state_store import FileStateStore


def states(app: Flask) -> int:
    return len(runtime(app).state_store)


@pytest.mark.parametrize("name", ["login_hint", "lti_message_hint", "target_link_uri"])
@pytest.mark.parametrize("how", ["form", "query", "multipart"])
def test_an_oversized_login_parameter_is_refused_before_anything_is_stored(
        app: Flask, launcher: Launcher, name: str, how: str) -> None:
    before = states(app)
    data = {"iss": launcher.platform.issuer, "client_id": launcher.platform.client_id, "login_hint": "4",
            "target_link_uri": launcher.tool_url + "/lti/launch"}
    data[name] = (data.get(name, "") + "x" * 120 * 1024) if name != "target_link_uri" else \
        launcher.tool_url + "/lti/launch?" + "x" * 4096
    url = launcher.tool_url + "/lti/login"
    if how == "form":
        answer = requests.post(url, data=data, allow_redirects=False, timeout=10)
    elif how == "multipart":
        answer = requests.post(url, files={k: (None, v) for k, v in data.items()}, allow_redirects=False, timeout=10)
    else:
        small = {k: v[:3000] for k, v in data.items()}  # a URL this long is still far above the limit
        answer = requests.get(url, params=small, allow_redirects=False, timeout=10)
    assert answer.status_code == 413
    assert name in answer.text
    assert "Location" not in answer.headers
    assert states(app) == before


def test_moodle_sized_hints_still_log_in(launcher: Launcher) -> None:
    login = launcher.login(login_hint="4" * 64, lti_message_hint='{"cmid":2,"launchid":"ltilaunch1_1"}' * 8)
    assert login.response.status_code == 302
    assert len(login.response.headers["Location"]) < 4096


def test_the_file_store_is_bounded(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path / "cache", max_entries=1000)
    for n in range(2 * FileStateStore.CHECK_EVERY + 1000):
        store.put(f"state:{n}", {"n": n}, 600)
    assert len(store) <= 1000 + FileStateStore.CHECK_EVERY
    store.bound()
    assert len(store) == 1000
    assert store.get("state:0") is None and store.get(f"state:{2 * FileStateStore.CHECK_EVERY + 999}") == {
        "n": 2 * FileStateStore.CHECK_EVERY + 999}


def test_purge_prunes_expired_states(app: Flask) -> None:
    store = runtime(app).state_store
    store.put("state:expired", {"a": 1}, -1)  # already past its expiry
    assert store.get("state:expired") is None
    result = CliRunner().invoke(main, ["purge"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    assert "expired launch states" in result.output
    rows = store._conn().execute("SELECT count(*) FROM state WHERE key = 'state:expired'").fetchone()[0]
    assert rows == 0
