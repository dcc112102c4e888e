"""Run the app under gunicorn from Python, so `emm-lti serve` needs no separate config file."""
from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


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


def _start_embedded_worker(worker: Any) -> None:
    """gunicorn hook: each web worker process runs a grade delivery thread (the embedded default)."""
    app = worker.wsgi
    if app.config["EMM"].embedded_worker:
        from .grades.worker import start_embedded_worker

        start_embedded_worker(app)


def gunicorn_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """The settings `serve` uses; the launch benchmark serves its baseline with the same ones."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": os.environ.get("EMM_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": os.environ.get("EMM_LOG_LEVEL", "info").lower(),
        "forwarded_allow_ips": os.environ.get("EMM_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


def serve_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """`emm-lti serve`: the shared settings plus the embedded grade worker."""
    return {**gunicorn_options(host, port, workers, threads), "post_worker_init": _start_embedded_worker}


def run_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Block serving until SIGTERM/SIGINT."""
    _Gunicorn(serve_options(host, port, workers, threads)).run()
