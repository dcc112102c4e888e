"""Run the app under gunicorn from Python, so `emm-lti serve` needs no separate config file.

gunicorn's threads read a request's headers and body themselves, so a client that sends them slowly
holds a thread (eight such clients stall two workers of four threads). The tool therefore serves the
internet only through a buffering reverse proxy (nginx with request buffering on), which hands it
whole requests: `serve` binds loopback by default and refuses another address unless told it sits
behind such a proxy (`--behind-proxy`). The access log is written with launch references redacted.
"""
from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from .logs import escape_controls, redact


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


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger, with request paths, query strings and Referer headers redacted in the
    access log (a reference in a log file would open someone's session for hours)."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in list(atoms.items()):
            if key in ("r", "U", "q", "f", "{referer}i") and isinstance(value, str):
                atoms[key] = escape_controls(redact(value))
        return atoms


def _start_embedded_worker(worker: Any) -> None:
    """gunicorn hook: each web worker process runs a grade delivery thread (the embedded default)."""
    app = worker.wsgi
    if app.config["EMM"].embedded_worker:
        from .grades.worker import start_embedded_worker

        start_embedded_worker(app)


def gunicorn_options(host: str, port: int, workers: int, threads: int, *, access_log: str | None = None,
                     forwarded_allow_ips: str = "127.0.0.1,::1") -> dict[str, Any]:
    """The settings `serve` uses; the launch benchmark serves its baseline with the same ones."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 20,
        "keepalive": 5,
        "accesslog": access_log,
        "logger_class": RedactingGunicornLogger,
        "errorlog": "-",
        "loglevel": os.environ.get("EMM_LOG_LEVEL", "info").lower(),
        "forwarded_allow_ips": forwarded_allow_ips,
        # a request line or header this long is not an LTI request (a proxy should refuse it first)
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
    }


def serve_options(host: str, port: int, workers: int, threads: int, settings: Any) -> dict[str, Any]:
    """`emm-lti serve`: the shared settings plus the embedded grade worker."""
    return {**gunicorn_options(host, port, workers, threads, access_log=settings.access_log,
                               forwarded_allow_ips=settings.forwarded_allow_ips),
            "post_worker_init": _start_embedded_worker}


def check_bind(host: str, behind_proxy: bool) -> None:
    """Refuse to serve a non-loopback address unless the operator says a buffering proxy is in front."""
    from .lms.hosts import is_loopback_name

    if not is_loopback_name(host) and not behind_proxy:
        raise ValueError(
            f"--host {host}: emm-lti serve answers the internet only through a buffering reverse proxy "
            "(nginx with proxy_request_buffering on): slow clients would otherwise hold its threads. "
            "Bind 127.0.0.1 and let the proxy forward to it, or give --behind-proxy when the proxy "
            "reaches the tool over another address.")


def run_gunicorn(host: str, port: int, workers: int, threads: int, settings: Any) -> None:
    """Block serving until SIGTERM/SIGINT."""
    _Gunicorn(serve_options(host, port, workers, threads, settings)).run()
