"""Metrics under gunicorn's several worker processes (multiprocess mode), and a grade worker's own."""
from __future__ import annotations

import re
import secrets
import signal
import os
from pathlib import Path

import requests

from process_support import ToolServer, free_port, grade_worker, init_instance, tool_env, wait_for

TOKEN = secrets.token_urlsafe(32)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEALTHZ = 'emm_http_request_duration_seconds_count{endpoint="monitoring.healthz",method="GET",status="2xx"}'


def _count(text: str, series: str) -> float:
    match = re.search("^" + re.escape(series) + r" ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_every_web_worker_is_counted_whichever_answers_the_scrape(tmp_path: Path) -> None:
    env = tool_env(instance_path=tmp_path / "instance", secret_key="k" * 40, metrics="true", metrics_token=TOKEN,
                   embedded_worker="false")
    init_instance(env, tmp_path)
    web = ToolServer(env, tmp_path, workers=2, threads=2).start()
    try:
        web.wait_ready()
        for _ in range(40):  # a new connection each: the two workers share them
            assert requests.get(web.url + "/healthz", headers={"Connection": "close"}, timeout=5).status_code == 200
        folder = tmp_path / "instance" / "metrics" / f"web-{web.pid}"
        pids = {m.group(1) for f in folder.glob("*.db") if (m := re.search(r"_(\d+)\.db$", f.name))}
        assert len(pids) >= 2, pids  # both workers answered some, each in its own file
        for _ in range(3):
            scrape = requests.get(web.url + "/metrics", headers=AUTH, timeout=5)
            assert scrape.status_code == 200 and _count(scrape.text, HEALTHZ) == 40
        # a worker dies and is replaced: what it counted stays counted
        os.kill(web.worker_pids()[0], signal.SIGKILL)
        wait_for(lambda: len(web.worker_pids()) == 2, 30, "gunicorn replacing the worker")
        wait_for(lambda: _scrape(web.url) == 40, 30, "the scrape after the restart")
        assert requests.get(web.url + "/metrics", timeout=5).status_code == 401
    finally:
        web.stop()


def _scrape(url: str) -> float | None:
    try:
        return _count(requests.get(url + "/metrics", headers=AUTH, timeout=5).text, HEALTHZ)
    except requests.RequestException:
        return None


def test_a_grade_worker_serves_its_metrics_with_the_token(tmp_path: Path) -> None:
    port = free_port()
    env = tool_env(instance_path=tmp_path / "instance", secret_key="k" * 40, metrics="true", metrics_token=TOKEN)
    init_instance(env, tmp_path)
    worker = grade_worker(env, tmp_path, "--metrics-port", str(port)).start()
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        def scraped() -> requests.Response | None:
            assert worker.alive(), worker.log()[-2000:]
            try:
                return requests.get(url, headers=AUTH, timeout=5)
            except requests.ConnectionError:
                return None

        scrape = wait_for(scraped, 60, "the worker's metrics")
        assert scrape.status_code == 200
        assert _count(scrape.text, 'emm_grade_queue{status="pending"}') == 0
        assert _count(scrape.text, "emm_database_up") == 1
        assert requests.get(url, timeout=5).status_code == 401
    finally:
        worker.stop()
