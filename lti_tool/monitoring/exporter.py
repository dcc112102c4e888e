"""`emm-lti worker --metrics-port`: a grade worker's own metrics, for Prometheus to scrape beside the
web servers' /metrics (a worker process serves no web pages)."""
from __future__ import annotations

import logging
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from flask import Flask

from . import metrics
from .views import bearer_ok

log = logging.getLogger(__name__)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # scrapes are not worth a log line each
        pass


def serve_metrics(app: Flask, host: str, port: int, token: str) -> Any:
    """Serve GET /metrics with the bearer token from a daemon thread; returns the server (shutdown() stops it)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if not bearer_ok(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"a bearer token is required\n"]
        body, content_type = metrics.exposition(app)
        start_response("200 OK", [("Content-Type", content_type), ("Cache-Control", "no-store")])
        return [body]

    server = make_server(host, port, wsgi, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="emm-worker-metrics", daemon=True).start()
    log.info("worker metrics on http://%s:%d/metrics", host, server.server_port)
    return server
