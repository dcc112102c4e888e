"""bench/burst_bench.py works: its quick mode plays whole sessions (login, launch, five pages read, the quiz
submitted) against `emm-lti serve` with two workers, and every score reaches its fake LMS exactly once.

The embedded default always; PostgreSQL + Redis with separate `emm-lti worker` processes when
EMM_TEST_DATABASE_URL and EMM_TEST_REDIS_URL are set. Nothing here is timed: the figures are the bench's.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ["embedded"] + (
    ["postgres"] if os.environ.get("EMM_TEST_DATABASE_URL") and os.environ.get("EMM_TEST_REDIS_URL") else [])


@pytest.mark.parametrize("config", CONFIGS)
def test_the_quick_burst_has_no_error_and_delivers_every_score(config: str, tmp_path: Path) -> None:
    out = tmp_path / "burst.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMM_") or k.startswith("EMM_TEST_")}
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "burst_bench.py"), "--quick", "--config", config,
         "--workdir", str(tmp_path), "--json", str(out)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "load average" in run.stdout  # every run says how busy the shared machine was
    (result,) = json.loads(out.read_text())["results"]
    assert result["config"] == config
    assert result["errors"] == 0, result["error_list"]
    assert result["completed"] == result["participants"] == 8
    steps = result["steps"]
    assert [steps[s]["requests"] for s in ("login", "launch", "module", "page", "read", "quiz", "submit", "result")] \
        == [8, 8, 8, 40, 40, 8, 8, 8]
    grades = result["grades"]
    assert grades["submitted"] == grades["stored"] == 8
    assert grades["exactly_once"] is True
    assert grades["missing_count"] == grades["not_once_count"] == grades["unexpected_count"] == 0
    assert grades["lag_max_s"] is not None
    assert result["outbox"] == {"DELIVERED": 8 + 1}  # the burst's eight and the warm-up's one
    if config == "postgres":
        assert result["grade_workers"] == 2 and result["cpu"]["grade_workers_s"] > 0
    # the temporary instance, its database and servers are gone (the scratch PostgreSQL database too)
    assert not list(tmp_path.glob("emm-burst-bench-*"))
