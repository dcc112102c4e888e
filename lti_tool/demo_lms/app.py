"""The demo LMS factory: a separate Flask app, built from a checked config with no network or prompts."""
from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import deep_linking, oidc, services, views
from .config import DemoLmsConfig
from .extension import DemoLms
from .web import csrf_token, html_message, json_error

log = logging.getLogger(__name__)

#: paths answered with JSON errors (machines call them); everything else gets a page
_JSON_PREFIXES = ("/ags/", "/nrps/", "/token", "/jwks", "/demo/", "/lti11/")


def create_demo_lms(cfg: DemoLmsConfig) -> Flask:
    """Build the demo platform; app.extensions["demo_lms"] is its DemoLms (the Python API)."""
    app = Flask(__name__, template_folder="templates", static_folder="static", static_url_path="/static")
    app.config.update(
        # A fresh secret per start: it only protects the switches form, and a restart resets everything.
        SECRET_KEY=secrets.token_bytes(32),
        # Cookies ignore ports: keep clear of the tool's own cookies on the same loopback host.
        SESSION_COOKIE_NAME="demo_lms_session",
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["demo_lms"] = DemoLms(cfg)
    _register_blueprints(app)
    _register_security_headers(app, cfg)
    _register_error_handlers(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    log.info("demo LMS ready at %s for the tool at %s", cfg.base_url, cfg.tool_base_url)
    return app


def _register_blueprints(app: Flask) -> None:
    for module in (views, oidc, services, deep_linking):
        app.register_blueprint(module.bp)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _register_security_headers(app: Flask, cfg: DemoLmsConfig) -> None:
    """No external assets and no inline script: a strict CSP that still lets the tool's frame through."""
    tool_origins = " ".join(
        sorted({_origin(u) for u in (cfg.tool_login_url, cfg.tool_launch_url, *cfg.redirect_uris)})
    )
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"frame-src 'self' {tool_origins}; form-action 'self' {tool_origins}; "
        "frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
    )

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", csp)
        return resp


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
        status = exc.code or 500
        if request.path.startswith(_JSON_PREFIXES):
            return json_error(status, exc.description or exc.name)
        return html_message(status, exc.name, exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response | tuple[str, int]:
        log.exception("demo LMS error on %s %s", request.method, request.path)
        if request.path.startswith(_JSON_PREFIXES):
            return json_error(500, "internal error in the demo LMS (see its log)")
        return html_message(500, "Internal error", "The demo LMS failed; its log has the details.")
