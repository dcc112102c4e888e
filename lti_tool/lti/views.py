"""LTI endpoints: /lti/login, /lti/launch, /.well-known/jwks.json, /lti/config, /lti/register/<code>."""
from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for

from ..errors import LaunchError
from ..keys.services import public_jwks
from ..runtime import runtime
from ..platforms.directory import directory
from ..platforms.registration import find_invite, register_dynamically
from .launching import complete_launch
from .login import (
    STATE_COOKIE_PATH, LoginState, begin_login, is_http_origin, origin_of, peek_state, relaunch_params,
    state_cookie_name, take_state,
)
from .relaunch import new_window_url
from . import tool_info

log = logging.getLogger(__name__)

bp = Blueprint("lti", __name__)

#: the state cookie: SameSite=None + Secure + Partitioned is the only cookie a browser keeps inside an LMS frame
_STATE_COOKIE = {"path": STATE_COOKIE_PATH, "secure": True, "samesite": "None", "partitioned": True}


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    """OIDC login initiation from the platform: a redirect to the LMS, or a page that must run first."""
    rt = runtime()
    params = request.values.to_dict()
    start = begin_login(params, launch_url=url_for("lti.launch", _external=True), store=rt.state_store,
                        settings=rt.settings)
    new_window = bool(params.get("emm_new_window"))
    if start.storage_target and not new_window:
        # the platform offers LTI platform storage: keep the state there, cookies or not
        response = current_app.make_response(render_template(
            "lti/storage_login.html", auth_url=start.auth_url, state=start.state,
            platform_origin=start.platform_origin, storage_target=start.storage_target,
        ))
    elif request.headers.get("Sec-Fetch-Dest") == "iframe" and not new_window:
        # inside an iframe without platform storage: check that a cookie survives before going on;
        # the LMS has not seen this login yet, so starting it again in a new window is safe
        relaunch = url_for("lti.login", _external=True) + "?" + urlencode(
            {**relaunch_params(params), "emm_new_window": "1"})
        response = current_app.make_response(render_template(
            "lti/cookie_check.html", auth_url=start.auth_url, new_window_url=relaunch,
        ))
    else:
        response = redirect(start.auth_url, code=302)
    response.set_cookie(state_cookie_name(start.state), start.state, max_age=rt.settings.state_ttl, httponly=True,
                        **_STATE_COOKIE)
    return response


def _storage_check_token(state: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"storage-check:" + state.encode(), "sha256").hexdigest()


def _same_origin_post() -> bool:
    """A POST our own page made: Sec-Fetch-Site or Origin names this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == origin_of(request.host_url)


def _unknown_state() -> LaunchError:
    return LaunchError(
        "The launch's state is unknown or has expired (a login is valid for "
        f"{runtime().settings.state_ttl // 60} minutes). Launch the activity again from the LMS."
    )


@bp.route("/lti/launch", methods=["GET", "POST"])
def launch() -> Response:
    """The id_token form post from the platform (and our own platform-storage re-post)."""
    if request.method != "POST":
        raise LaunchError(
            "The launch URL only accepts the form the LMS posts after login; open the activity from the LMS.",
            status=405,
        )
    rt = runtime()
    id_token = request.form.get("id_token")
    if not id_token:
        raise LaunchError("The LMS sent no id_token. Launch the activity again from the LMS.")
    state = request.form.get("state", "")
    if not state:
        raise LaunchError("The launch has no state parameter, so it cannot be matched to a login.")

    if request.cookies.get(state_cookie_name(state)) == state:
        # the cookie binds this browser to the login: take the state at once
        login_state = take_state(rt.state_store, state)
        if login_state is None:
            raise _unknown_state()
    else:
        login_state = peek_state(rt.state_store, state)
        if login_state is None:
            raise _unknown_state()
        if not _bound_by_platform_storage(state):
            return _unbound_launch(login_state, id_token)
        if take_state(rt.state_store, state) is None:  # a second post of this launch got here first
            raise LaunchError("This launch was already used. Launch the activity again from the LMS.")
    done = complete_launch(rt, login_state, id_token)
    # straight to where the learner home would send this launch: one request fewer for the learner
    response = redirect(done.landing_url(rt.catalogue), code=303)
    response.delete_cookie(state_cookie_name(state), **_STATE_COOKIE)
    return response


def _bound_by_platform_storage(state: str) -> bool:
    """Our platform-storage page re-posted the launch, with its proof, from our own origin."""
    proof = request.form.get("emm_storage_check")
    return proof is not None and hmac.compare_digest(proof, _storage_check_token(state)) and _same_origin_post()


def _unbound_launch(login_state: LoginState, id_token: str) -> Response:
    """No cookie came back: confirm the state through platform storage, or offer a new window."""
    if login_state.storage_target:
        return current_app.make_response(render_template(
            "lti/storage_check.html", id_token=id_token, state=login_state.state,
            check=_storage_check_token(login_state.state),
            platform_origin=origin_of(_platform_auth_url(login_state)), storage_target=login_state.storage_target,
        ))
    platform = directory.find(login_state.issuer, login_state.client_id)
    relaunch = new_window_url(platform, login_state.login_params or {}, url_for("lti.login", _external=True))
    return current_app.make_response((render_template("lti/cookies_blocked.html", new_window_url=relaunch), 403))


def _platform_auth_url(login_state: LoginState) -> str:
    platform = directory.find(login_state.issuer, login_state.client_id)
    return platform.auth_login_url if platform else login_state.issuer


@bp.get("/lti/register/<code>")
def register(code: str) -> Response:
    """LTI Dynamic Registration: the LMS opens the invitation link with its configuration URL and
    a registration token; the tool registers itself and records the platform (platforms/registration.py)."""
    rt = runtime()
    invite = find_invite(rt.state_store, code)  # an unknown link gets a plain refusal, framed by nobody
    configuration = request.args.get("openid_configuration", "")
    origin = origin_of(configuration)
    if is_http_origin(origin):
        g.emm_frame_origin = origin  # the LMS shows this page (and its errors) in a frame of its own
    done = register_dynamically(rt.state_store, code=code, invite=invite, openid_configuration=configuration,
                                registration_token=request.args.get("registration_token") or None)
    return current_app.make_response(render_template(
        "lti/registered.html", platform=done.platform, deployment_id=done.deployment_id,
        product=done.configuration.product))


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The tool's public keys: the active one and those still published after a rotation."""
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/config")
def config() -> Response:
    """The values an LMS admin pastes when registering the tool by hand."""
    info = tool_info.registration_values(request.host_url)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(info)
    return current_app.make_response(render_template("lti/config.html", info=info))

