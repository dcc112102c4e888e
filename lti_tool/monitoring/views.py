"""/healthz (the process answers), /readyz (it can serve a launch) and /metrics (Prometheus)."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from ..config import Settings
from . import metrics
from .readiness import run_checks

bp = Blueprint("monitoring", __name__)

_NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz() -> tuple[Response, int, dict[str, str]]:
    """Liveness: the process answers requests. Touches nothing else, so a database outage does not get
    healthy processes restarted (that is what /readyz is for)."""
    return jsonify(status="ok"), 200, _NO_STORE


@bp.get("/readyz")
def readyz() -> tuple[Response, int, dict[str, str]]:
    """Readiness: the database and the launch-state store answer within EMM_READY_TIMEOUT; 503 names what is down."""
    settings: Settings = current_app.config["EMM"]
    checks = run_checks(current_app._get_current_object(), settings.ready_timeout)  # type: ignore[attr-defined]
    down = [c.name for c in checks if not c.ok]
    body = {
        "status": "ok" if not down else "unavailable",
        "down": down,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "ms": round(c.seconds * 1000, 1)} for c in checks},
    }
    headers = dict(_NO_STORE)
    if down:
        headers["Retry-After"] = "5"
    return jsonify(body), (503 if down else 200), headers


@bp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus text format; 404 while EMM_METRICS is off, 401 without the bearer token EMM_METRICS_TOKEN."""
    settings: Settings = current_app.config["EMM"]
    if not settings.metrics or not settings.metrics_token:
        return Response("metrics are off (EMM_METRICS)\n", status=404, mimetype="text/plain", headers=_NO_STORE)
    if not bearer_ok(request.headers.get("Authorization"), settings.metrics_token):
        return Response("a bearer token is required\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"', **_NO_STORE})
    body, content_type = metrics.exposition(current_app._get_current_object())  # type: ignore[attr-defined]
    return Response(body, status=200, content_type=content_type, headers=_NO_STORE)


def bearer_ok(header: str | None, token: str) -> bool:
    """Constant-time comparison of `Authorization: Bearer <token>`."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())
