"""The outermost WSGI layer: a request id for every request (logs and the X-Request-ID response
header), and its latency for the metrics.

A WSGI layer rather than Flask hooks because it also sees the requests that never reach a view (a 404)
and the time of the whole answer, response streaming included.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ..logs import REQUEST_ID, request_id_from
from . import metrics

StartResponse = Callable[..., Any]


class RequestIdMiddleware:
    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ["emm.request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status: list[int] = []

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Request-ID", request_id))
            status[:] = [int(status_line[:3])]
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            REQUEST_ID.reset(token)
            if metrics.enabled():
                endpoint = environ.get("emm.endpoint") or "unmatched"
                metrics.request_done(endpoint, environ.get("REQUEST_METHOD", "GET"), status[0] if status else 500,
                                     time.perf_counter() - started)
