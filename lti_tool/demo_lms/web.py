"""Small request helpers shared by the demo LMS blueprints: the app's DemoLms, CSRF, error bodies."""
from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from flask import Response, abort, current_app, jsonify, render_template, request, session

if TYPE_CHECKING:
    from .extension import DemoLms


def current_lms() -> "DemoLms":
    return current_app.extensions["demo_lms"]


def csrf_token() -> str:
    """One random token per browser session, put in every form of ours."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf() -> None:
    """Refuse a form post that does not carry this session's token (another site cannot read it)."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="The form has expired or did not come from this page. Reload it and try again.")


def json_error(status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """A service error as JSON, never an HTML page a tool would fail to parse."""
    resp = jsonify({"status": status, "reason": message, **extra})
    resp.status_code = status
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def html_message(status: int, title: str, message: str, **context: Any) -> tuple[str, int]:
    """A plain page for a person: what happened, and the way back to the course."""
    return render_template("demo_lms/message.html", title=title, message=message, **context), status
