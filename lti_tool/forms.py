"""Forms with CSRF protection that works inside LMS iframes, where session cookies are blocked.

Flask-WTF's default CSRF token lives in the session cookie. Ours is an HMAC of the launch id, so
it is bound to the signed launch reference that every page already carries, and needs no cookie.
A POST must also come from our own origin (Sec-Fetch-Site / Origin), when the browser says.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, request
from flask_wtf import FlaskForm
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from .lti.current import current
from .lti.login import origin_of


def launch_csrf_token(launch_id: str, purpose: str = "form") -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"csrf:{purpose}:{launch_id}".encode(), hashlib.sha256).hexdigest()


def is_cross_site_post() -> bool:
    """True when the browser tells us the POST came from another origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and origin != "null" and origin != origin_of(request.host_url)


class LaunchCSRF(CSRF):
    """WTForms CSRF bound to the current launch instead of a session."""

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        return launch_csrf_token(current().launch.id)

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        expected = launch_csrf_token(current().launch.id)
        if not field.data or not hmac.compare_digest(str(field.data), expected):
            raise ValidationError("This form has expired or was not sent from this page. Reload the page and try again.")
        if is_cross_site_post():
            raise ValidationError("This form was sent from another site and was refused.")


class LaunchForm(FlaskForm):
    """Base for every form shown after a launch."""

    class Meta:
        csrf = True
        csrf_class = LaunchCSRF
        csrf_field_name = "csrf_token"
