"""OIDC third-party initiated login: pick the registration, remember state and nonce, build the redirect.

pylti1p3's OIDCLogin keeps state in the framework session and knows nothing of LTI platform
storage, so this step is ours; the result is the same authorization request pylti1p3 builds.
The state and nonce live in the shared state store until the launch takes them (`take_state`):
one store for every worker and host, so login and launch may land anywhere.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

from ..config import Settings
from ..errors import LaunchError
from ..platforms.directory import PlatformInfo, directory
from ..state_store import StateStore

#: login parameters we keep to restart the login in a new window when cookies are blocked
RELAUNCH_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
#: the state cookie lives only on the LTI endpoints
STATE_COOKIE_PATH = "/lti/"
_STATE_KEY = "state:"


@dataclass(frozen=True)
class LoginState:
    """What the login step remembered for this state, read back at launch."""

    state: str
    nonce: str
    issuer: str
    client_id: str
    target_link_uri: str
    storage_target: str | None = None
    login_params: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "nonce": self.nonce, "issuer": self.issuer, "client_id": self.client_id,
            "target_link_uri": self.target_link_uri, "storage_target": self.storage_target,
            "login_params": self.login_params or {},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoginState":
        return cls(**{k: data.get(k) for k in (
            "state", "nonce", "issuer", "client_id", "target_link_uri", "storage_target", "login_params")})


#: the longest value accepted for each login parameter, in bytes (Moodle sends tens of bytes): every
#: one is stored with the login's state and echoed in the redirect to the LMS, before anyone is known
LOGIN_PARAM_LIMITS = {"iss": 1024, "login_hint": 2048, "lti_message_hint": 2048, "target_link_uri": 2048,
                      "client_id": 255, "lti_deployment_id": 255, "lti_storage_target": 128}


def check_login_sizes(params: Mapping[str, str]) -> None:
    """Refuse (413, naming it) a login parameter longer than its limit, before anything is stored."""
    for name, limit in LOGIN_PARAM_LIMITS.items():
        value = params.get(name)
        if value and len(value.encode("utf-8", "surrogatepass")) > limit:
            raise LaunchError(f"The login request's {name} is longer than {limit} bytes, so it was refused. "
                              "Start the activity from the LMS again.", status=413)


@dataclass(frozen=True)
class LoginStart:
    auth_url: str
    state: str
    platform_origin: str
    storage_target: str | None


def relaunch_params(params: Mapping[str, str]) -> dict[str, str]:
    """The login parameters that start this login again (in a new window)."""
    return {k: params[k] for k in RELAUNCH_PARAMS if params.get(k)}


def state_cookie_name(state: str) -> str:
    """One cookie per login, so two launches in two tabs do not overwrite each other's state."""
    return "emm-state-" + hashlib.sha256(state.encode()).hexdigest()[:16]


def peek_state(store: StateStore, state: str) -> LoginState | None:
    """The login behind `state`, left in the store (the launch may still be refused before it is used)."""
    record = store.get(_STATE_KEY + state)
    return LoginState.from_dict(record) if record is not None else None


def take_state(store: StateStore, state: str) -> LoginState | None:
    """The login behind `state`, taken from the store: of two posts of one launch, one gets it."""
    record = store.pop(_STATE_KEY + state)
    return LoginState.from_dict(record) if record is not None else None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_HTTP_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def is_http_origin(origin: str) -> bool:
    """An http(s) origin safe to put in a header: scheme, host and port only."""
    return bool(_HTTP_ORIGIN.fullmatch(origin))


def _platform_for(issuer: str, client_id: str | None) -> PlatformInfo:
    if client_id:
        platform = directory.find(issuer, client_id)
        if platform is None:
            raise LaunchError(
                f"This tool has no registration for issuer {issuer!r} with client_id {client_id!r}. "
                "An administrator must register the LMS first."
            )
        return platform
    platforms = directory.for_issuer(issuer)
    if not platforms:
        raise LaunchError(f"This tool has no registration for issuer {issuer!r}.")
    if len(platforms) > 1:
        raise LaunchError(
            f"Issuer {issuer!r} has several registrations here, and the LMS sent no client_id to choose one."
        )
    return platforms[0]


def begin_login(
    params: Mapping[str, str], *, launch_url: str, store: StateStore, settings: Settings
) -> LoginStart:
    """Validate the login initiation and remember state and nonce for the launch that follows."""
    check_login_sizes(params)
    issuer = (params.get("iss") or "").strip()
    login_hint = params.get("login_hint") or ""
    target_link_uri = (params.get("target_link_uri") or "").strip()
    if not issuer:
        raise LaunchError("The login request has no issuer (iss); start the activity from the LMS.")
    if not login_hint:
        raise LaunchError("The login request has no login_hint; start the activity from the LMS.")
    if not target_link_uri:
        raise LaunchError("The login request has no target_link_uri.")
    if urlsplit(target_link_uri).netloc != urlsplit(launch_url).netloc:
        raise LaunchError(
            f"The target_link_uri {target_link_uri!r} points to another site than this tool; "
            "check the tool URL registered in the LMS."
        )
    platform = _platform_for(issuer, (params.get("client_id") or "").strip() or None)
    deployment_id = params.get("lti_deployment_id")
    if deployment_id is not None and deployment_id not in platform.deployments:
        raise LaunchError(f"Deployment {deployment_id!r} is not registered for {platform.label}.")

    state = "st-" + secrets.token_urlsafe(24)
    nonce = "n-" + secrets.token_urlsafe(24)
    storage_target = (params.get("lti_storage_target") or "").strip() or None
    login_state = LoginState(
        state=state, nonce=nonce, issuer=platform.issuer, client_id=platform.client_id,
        target_link_uri=target_link_uri, storage_target=storage_target,
        login_params=relaunch_params(params),
    )
    store.put(_STATE_KEY + state, login_state.to_dict(), settings.state_ttl)

    query = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": platform.client_id, "redirect_uri": launch_url,
        "login_hint": login_hint, "state": state, "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginStart(
        auth_url=platform.auth_login_url + separator + urlencode(query),
        state=state,
        platform_origin=origin_of(platform.auth_login_url),
        storage_target=storage_target,
    )
