"""The platform half of the OIDC launch: JWKS, and the authorization endpoint that signs id_tokens."""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping

from flask import Blueprint, Response, jsonify, render_template, request

from .claims import DEEP_LINKING_REQUEST, deep_linking_claims, resource_link_claims
from .extension import DemoLms
from .state import LaunchIntent
from .web import current_lms, html_message

log = logging.getLogger(__name__)

bp = Blueprint("demo_lms_oidc", __name__)

#: Deep Linking `data` values kept while a facilitator picks modules
MAX_DEEP_LINK_REQUESTS = 1_000


class LaunchSpent(Exception):
    """The authentication request names a launch that was already used: Moodle's "Invalid request"."""


class AuthRequestError(Exception):
    """An OIDC authentication request we refuse, with the OIDC error code to send back."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def check_client(lms: DemoLms, params: Mapping[str, str]) -> str:
    """Return the redirect_uri once client_id and redirect_uri are known; errors here must not redirect."""
    if params.get("client_id") != lms.cfg.client_id:
        raise AuthRequestError("unauthorized_client", f"unknown client_id {params.get('client_id')!r}")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in lms.cfg.redirect_uris:
        raise AuthRequestError(
            "invalid_request", f"redirect_uri {redirect_uri!r} is not one of the tool's registered redirect URIs"
        )
    return redirect_uri


def check_auth_request(lms: DemoLms, params: Mapping[str, str]) -> LaunchIntent:
    """Validate the LTI 1.3 profile of the OIDC implicit flow and return the launch the login_hint names."""
    if params.get("response_type") != "id_token":
        raise AuthRequestError("unsupported_response_type", "response_type must be id_token")
    if "openid" not in params.get("scope", "").split():
        raise AuthRequestError("invalid_scope", "scope must be openid")
    if params.get("response_mode") != "form_post":
        raise AuthRequestError("invalid_request", "response_mode must be form_post")
    if params.get("prompt") != "none":
        raise AuthRequestError("invalid_request", "prompt must be none")
    if not params.get("nonce"):
        raise AuthRequestError("invalid_request", "nonce is required")
    login_hint = params.get("login_hint", "")
    with lms.state.lock:
        intent = lms.state.intents.get(login_hint)
        if intent is None:
            raise AuthRequestError("login_required", "login_hint is missing or unknown: start the launch from the course")
        if intent.used:
            raise LaunchSpent()
        if params.get("lti_message_hint") != intent.message_hint:
            raise AuthRequestError("invalid_request",
                                   "lti_message_hint does not match the one sent at login initiation")
        intent.used = True  # Moodle unsets the launch in the session once an authentication request names it
    return intent


def issue_id_token(lms: DemoLms, intent: LaunchIntent, nonce: str) -> str:
    """Sign the id_token for this launch (and open a Deep Linking request when it is one)."""
    user = lms.user(intent.user_sub)
    now = int(time.time())
    if intent.message_type == DEEP_LINKING_REQUEST:
        data = secrets.token_urlsafe(18)
        with lms.state.lock:
            requests_open = lms.state.deep_link_requests
            requests_open[data] = user.sub
            while len(requests_open) > MAX_DEEP_LINK_REQUESTS:
                del requests_open[next(iter(requests_open))]
        claims = deep_linking_claims(lms.cfg, lms.urls, user, intent, nonce, now, data)
    else:
        placement = lms.placement(intent.placement_id or "")
        claims = resource_link_claims(lms.cfg, lms.urls, user, placement, intent, nonce, now)
    lms.count("id_tokens")
    log.info("signed a %s for user %s (placement %s)", intent.message_type, user.sub, intent.placement_id)
    return lms.key.sign(claims)


def _form_post(action: str, fields: dict[str, str | None]) -> Response:
    """The auto-submitting form the OIDC form_post response mode asks for (with a button for no-JS)."""
    body = render_template(
        "demo_lms/form_post.html", action=action, fields={k: v for k, v in fields.items() if v is not None}
    )
    resp = Response(body, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    return resp


@bp.get("/jwks")
def jwks() -> Response:
    resp = jsonify(current_lms().key.jwks())
    # No caching on our side: a rotation must show at once so the tool's re-fetch is testable.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/mod/lti/auth.php", methods=["GET", "POST"])
def auth() -> Response | tuple[str, int]:
    lms = current_lms()
    params = request.values
    try:
        redirect_uri = check_client(lms, params)
    except AuthRequestError as exc:
        log.warning("refused an auth request: %s", exc.description)
        return html_message(400, f"OIDC error: {exc.code}", exc.description, error_code=exc.code)
    try:
        intent = check_auth_request(lms, params)
    except LaunchSpent:
        log.warning("refused an auth request for a launch already used (its lti_message_hint is spent)")
        lms.count("spent_launches")
        return html_message(400, "Invalid request",
                            "This launch was already used: a launch is good for one sign-in, as in Moodle. "
                            "Open the activity again from the course.")
    except AuthRequestError as exc:
        log.warning("auth request error %s: %s", exc.code, exc.description)
        return _form_post(
            redirect_uri, {"error": exc.code, "error_description": exc.description, "state": params.get("state")}
        )
    id_token = issue_id_token(lms, intent, params["nonce"])
    return _form_post(redirect_uri, {"id_token": id_token, "state": params.get("state")})
