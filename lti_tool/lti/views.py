"""LTI endpoints: /lti/login, /lti/launch, /.well-known/jwks.json, /lti/config."""
from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from pylti1p3.contrib.flask import FlaskRequest

from ..errors import LaunchError
from ..keys.services import public_jwks
from ..runtime import runtime
from ..platforms.directory import directory
from .login import begin_login, origin_of, relaunch_params, state_cookie_name
from .records import record_launch
from .validation import EmmMessageLaunch, LoginState
from . import tool_info

log = logging.getLogger(__name__)

bp = Blueprint("lti", __name__)


#: a stand-in for the launch reference in the learner home URL, built once (references are URL-safe)
_REF = "EMM-REF-PLACEHOLDER"


def _urls() -> dict[tuple[str, ...], str]:
    """Per app: URLs that depend only on the request's scheme, host and script root.

    url_for costs ~35 µs; login and launch each need one. The key is what url_for reads from the
    request, and the cache is bounded since Host is the client's to choose.
    """
    cache = current_app.extensions.setdefault("emm-lti-urls", {})
    if len(cache) > 64:
        cache.clear()
    return cache


def _launch_url() -> str:
    key = ("launch", request.scheme, request.host, request.script_root)
    urls = _urls()
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for("lti.launch", _external=True)
    return url


def _learner_home(ref: str) -> str:
    key = ("home", request.script_root)
    urls = _urls()
    template = urls.get(key)
    if template is None:
        template = urls[key] = url_for("learner.home", ref=_REF)
    return template.replace(_REF, ref)


def _set_state_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    # SameSite=None + Secure + Partitioned: the only cookie a browser keeps inside an LMS iframe
    response.set_cookie(
        name, value, max_age=max_age, path="/lti/", secure=True, httponly=True,
        samesite="None", partitioned=True,
    )


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    """OIDC login initiation from the platform."""
    rt = runtime()
    params = request.values.to_dict()
    start = begin_login(params, launch_url=_launch_url(), store=rt.state_store, settings=rt.settings)
    new_window = bool(params.get("emm_new_window"))
    if start.storage_target and not new_window:
        # the platform offers LTI platform storage: keep the state there, cookies or not
        response = current_app.make_response(render_template(
            "lti/storage_login.html", auth_url=start.auth_url, state=start.state,
            platform_origin=start.platform_origin, storage_target=start.storage_target,
        ))
    elif request.headers.get("Sec-Fetch-Dest") == "iframe" and not new_window:
        # inside an iframe without platform storage: check that a cookie survives before going on
        relaunch = url_for("lti.login", _external=True) + "?" + urlencode({**relaunch_params(params), "emm_new_window": "1"})
        response = current_app.make_response(render_template(
            "lti/cookie_check.html", auth_url=start.auth_url, new_window_url=relaunch,
        ))
    else:
        response = redirect(start.auth_url, code=302)
    _set_state_cookie(response, start.cookie_name, start.state, rt.settings.state_ttl)
    response.headers["Cache-Control"] = "no-store"
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


@bp.route("/lti/launch", methods=["GET", "POST"])
def launch() -> Response:
    """The id_token form post from the platform (and our own platform-storage re-post)."""
    if request.method != "POST":
        raise LaunchError(
            "The launch URL only accepts the form the LMS posts after login; open the activity from the LMS.",
            status=405,
        )
    rt = runtime()
    if not request.form.get("id_token"):
        raise LaunchError("The LMS sent no id_token. Launch the activity again from the LMS.")
    state = request.form.get("state", "")
    if not state:
        raise LaunchError("The launch has no state parameter, so it cannot be matched to a login.")
    record = rt.state_store.get("state:" + state)
    if record is None:
        raise LaunchError(
            "The launch's state is unknown or has expired (a login is valid for "
            f"{rt.settings.state_ttl // 60} minutes). Launch the activity again from the LMS."
        )
    login_state = LoginState.from_dict(record)

    cookie_ok = request.cookies.get(state_cookie_name(state)) == state
    storage_ok = (
        request.form.get("emm_storage_check") is not None
        and hmac.compare_digest(request.form.get("emm_storage_check", ""), _storage_check_token(state))
        and _same_origin_post()
    )
    if not (cookie_ok or storage_ok):
        if login_state.storage_target:
            response = current_app.make_response(render_template(
                "lti/storage_check.html", id_token=request.form["id_token"], state=state,
                check=_storage_check_token(state), platform_origin=origin_of(
                    _platform_auth_url(login_state)), storage_target=login_state.storage_target,
            ))
            response.headers["Cache-Control"] = "no-store"
            return response
        relaunch = url_for("lti.login", _external=True) + "?" + urlencode(
            {**(login_state.login_params or {}), "emm_new_window": "1"})
        return current_app.make_response((render_template(
            "lti/cookies_blocked.html", new_window_url=relaunch), 403))

    if rt.state_store.pop("state:" + state) is None:
        raise LaunchError("This launch was already used. Launch the activity again from the LMS.")
    message = EmmMessageLaunch(
        FlaskRequest(request_data=request.form, cookies=request.cookies, session={}),
        rt.tool_conf, login_state=login_state, keysets=rt.keysets, settings=rt.settings,
        requests_session=rt.http,
    ).validate()
    # committed at once in a transaction of its own: SQLite's single writer lock is held for its six statements only
    launch_id = record_launch(message.claims, message.platform.id, message.deployment, rt.settings)
    ref = rt.refs.issue(launch_id)
    response = redirect(_learner_home(ref), code=303)
    response.delete_cookie(state_cookie_name(state), path="/lti/", secure=True, samesite="None", partitioned=True)
    return response


def _platform_auth_url(login_state: LoginState) -> str:
    platform = directory.find(login_state.issuer, login_state.client_id)
    return platform.auth_login_url if platform else login_state.issuer


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

