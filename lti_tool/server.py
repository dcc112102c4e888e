"""Run the app under gunicorn from Python, so `emm-lti serve` needs no separate config file.

`config/gunicorn.conf.py` writes the same settings out for operators who start gunicorn themselves
(`gunicorn -c config/gunicorn.conf.py`); a test checks that the two agree.

gunicorn's threads read a request's headers and body themselves, so a client that sends them slowly
holds a thread (eight such clients stall two workers of four threads). The tool therefore serves the
internet only through a buffering reverse proxy (nginx with request buffering on, `config/nginx/`),
which hands it whole requests: `serve` binds loopback by default and refuses another address unless
told it sits behind such a proxy (`--behind-proxy`). The access log is written with launch references
redacted (`logs.GunicornLogger`).
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings

log = logging.getLogger(__name__)

#: gunicorn's default line plus the time taken and the request id; paths are redacted (logs.GunicornLogger)
ACCESS_LOG_FORMAT = ('%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
                     '%(M)sms rid=%({x-request-id}o)s')


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app()


def post_worker_init(worker: Any) -> None:
    """gunicorn hook: load the curriculum and open the launch-state store before the worker takes a
    request (the first learner does not wait for them; a broken curriculum stops the worker here), and
    run a grade delivery thread in each web worker process (the embedded default)."""
    from .runtime import warm_up

    app = worker.wsgi
    warm_up(app)
    if app.config["EMM"].embedded_worker:
        from .grades.worker import start_embedded_worker

        start_embedded_worker(app)


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook: a web worker exited; its live gauges leave the metrics (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def startup_problem(settings: Settings) -> str | None:
    """Why this instance cannot serve yet (no secret key, a missing or old schema), or None.
    `config/gunicorn.conf.py` stops on it; `emm-lti serve` makes the same checks."""
    from .config import ConfigError
    from .schema import schema_problem

    try:
        settings.require_secret()
    except ConfigError as exc:
        return str(exc)
    return schema_problem(settings.database_url)


def prepare_metrics_dir(settings: Settings) -> Path | None:
    """Give this gunicorn master and its workers a fresh metrics folder in the instance folder.

    prometheus_client's multiprocess mode: each worker writes its counters to files there and
    /metrics adds them up, so a scrape sees every worker whichever one answers. Must run before
    prometheus_client is imported (it reads PROMETHEUS_MULTIPROC_DIR once). Folders left by masters
    that are gone are removed.
    """
    if not settings.metrics:
        return None
    root = settings.instance_path / "metrics"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for old in root.glob("web-*"):
        pid = old.name.removeprefix("web-")
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"web-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settings_options(settings: Settings | None = None) -> dict[str, Any]:
    """The gunicorn settings that come from EMM_* settings (defaults when `settings` is None)."""
    access_log = settings.access_log if settings else None
    level = settings.log_level if settings else "INFO"
    allow = settings.forwarded_allow_ips if settings else "127.0.0.1"
    return {
        "accesslog": access_log,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": level.lower(),
        "logger_class": "lti_tool.logs.GunicornLogger",
        "forwarded_allow_ips": allow,
    }


def gunicorn_options(host: str, port: int, workers: int, threads: int,
                     settings: Settings | None = None) -> dict[str, Any]:
    """The settings `serve` uses; the launch benchmark serves its baseline with the same ones."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        # a request line or header this long is not an LTI request (the proxy should refuse it first)
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        **settings_options(settings),
    }


def serve_options(host: str, port: int, workers: int, threads: int, settings: Settings | None = None) -> dict[str, Any]:
    """`emm-lti serve`: the shared settings plus the embedded grade worker and the metrics hook."""
    return {**gunicorn_options(host, port, workers, threads, settings),
            "post_worker_init": post_worker_init, "child_exit": child_exit}


def check_bind(host: str, behind_proxy: bool) -> None:
    """Refuse to serve a non-loopback address unless the operator says a buffering proxy is in front."""
    from .lms.hosts import is_loopback_name

    if not is_loopback_name(host) and not behind_proxy:
        raise ValueError(
            f"--host {host}: emm-lti serve answers the internet only through a buffering reverse proxy "
            "(nginx with proxy_request_buffering on): slow clients would otherwise hold its threads. "
            "Bind 127.0.0.1 and let the proxy forward to it, or give --behind-proxy when the proxy "
            "reaches the tool over another address.")


def run_gunicorn(host: str, port: int, workers: int, threads: int, settings: Settings | None = None) -> None:
    """Block serving until SIGTERM/SIGINT."""
    _Gunicorn(serve_options(host, port, workers, threads, settings)).run()
