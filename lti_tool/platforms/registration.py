"""LTI Dynamic Registration (1EdTech LTI-DR 1.0): an LMS registers the tool from one URL.

An administrator runs `emm-lti platform invite --tool-url https://tool.example.org`, which prints a
one-time registration URL. Pasted into the LMS (Moodle: Manage tools → Tool URL → "Add LTI
Advantage"), the LMS opens it with `openid_configuration` and `registration_token`. The tool reads
the platform's configuration, sends its own registration and records the platform and deployment
the LMS answers with: the same rows `emm-lti platform add` writes, through the same checks.

Why an invitation: Dynamic Registration authenticates nobody. Without one, anyone who can reach the
tool could register a platform of their own. An invitation is used once, expires (an hour by
default) and is used up by `MAX_FAILURES` failed attempts; it lives in the launch state store, so
every worker and host sees it. An invitation may name the issuer it is for (`--issuer`): then only
that LMS can use it, and it may add a registration for an issuer that already has one.

A registration never changes an existing platform: an (issuer, client_id) that exists is refused
(409), whatever the invitation. The calls to the LMS go through the LMS seam (`lms/transport.py`):
the registration endpoint must be on the configuration's host, no redirects are followed, the
LMS's answers are capped and never shown back, and a private or link-local address is reached only
when the invitation names that LMS's issuer.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import Conflict, EmmError, Forbidden
from ..extensions import db
from ..lms.client import describe_refusal
from ..lms.errors import PlatformError
from ..lms.hosts import LOOPBACK, HostPolicy, host_port
from ..lms.transport import fetch
from ..lti import tool_info
from ..lti.claims import MessageType
from ..state_store import StateStore
from .models import Platform
from .services import InvalidPlatform, PlatformSpec, check_url, register_platform

log = logging.getLogger(__name__)

_INVITE = "registration-invite:"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
#: the largest configuration or registration answer we read
MAX_ANSWER_BYTES = 256 * 1024
#: failed attempts that use an invitation up
MAX_FAILURES = 3
#: seconds the registration's calls to the LMS may take each
DEADLINE = 15.0


class RegistrationFailed(EmmError):
    """The LMS's side of the registration did not work; the message says what it answered."""

    status = 502
    title = _l("The LMS did not complete the registration")


_LINK_REFUSED = _l("This registration link cannot be used")


@dataclass(frozen=True)
class Invite:
    url: str
    expires_at: float


@dataclass(frozen=True)
class PlatformConfiguration:
    """What the tool needs from the platform's OpenID configuration."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    scopes_supported: tuple[str, ...] | None
    product: str


@dataclass(frozen=True)
class Registered:
    platform: Platform
    configuration: PlatformConfiguration
    deployment_id: str


# -- invitations ---------------------------------------------------------------------------------

def issue_invite(store: StateStore, tool_url: str, ttl: int, issuer: str | None = None) -> Invite:
    """A one-time registration URL on `tool_url`, valid for `ttl` seconds (for `issuer` only, if given)."""
    base = check_url("tool-url", tool_url).rstrip("/")
    if urlsplit(base).query or urlsplit(base).fragment:
        raise InvalidPlatform("tool-url", "must not have a query or a fragment")
    if not 60 <= ttl <= 7 * 24 * 3600:
        raise InvalidPlatform("hours", "must be between 1 minute and 7 days")
    if issuer is not None:
        issuer = check_url("issuer", issuer)
    code = secrets.token_urlsafe(24)
    expires_at = time.time() + ttl
    # the registration sends the tool's URLs as the administrator gave them, not as a proxy passed them on
    store.put(_INVITE + code, {"tool_url": base, "expires_at": expires_at, "issuer": issuer, "failures": 0}, ttl)
    return Invite(url=f"{base}/lti/register/{code}", expires_at=expires_at)


def find_invite(store: StateStore, code: str) -> dict[str, Any]:
    """The invitation behind a registration link; 403 when unknown, used or expired."""
    invite = store.get(_INVITE + code) if code and len(code) <= 128 else None
    if invite is None:
        raise _invite_refused()
    return invite


def _count_failure(store: StateStore, code: str, invite: dict[str, Any], problem: EmmError) -> None:
    """One more failed attempt; the last one allowed uses the invitation up."""
    failures = int(invite.get("failures") or 0) + 1
    left = float(invite.get("expires_at") or 0) - time.time()
    if failures >= MAX_FAILURES or left < 1:
        store.pop(_INVITE + code)
        log.warning("registration invitation %s… used up after %d failed attempts (last: %s)",
                    code[:4], failures, problem.message)
        problem.message += (f" This registration link has now failed {failures} times and can no longer "
                            "be used: ask the tool's administrator for a new one.")
        return
    store.put(_INVITE + code, {**invite, "failures": failures}, int(left) + 1)
    log.info("registration invitation %s…: failed attempt %d of %d: %s", code[:4], failures, MAX_FAILURES,
             problem.message)


def _invite_refused() -> Forbidden:
    return Forbidden(
        "This registration link is unknown, already used or expired. Ask the tool's administrator "
        "for a new one (`emm-lti platform invite`).",
        title=_LINK_REFUSED,
    )


# -- the platform's side --------------------------------------------------------------------------

def _get_json(policy: HostPolicy, method: str, url: str, what: str, token: str | None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        answer = fetch(method, url, policy, what=what, limit=MAX_ANSWER_BYTES, deadline=DEADLINE,
                       headers=headers, data=json.dumps(body) if body is not None else None)
    except PlatformError as exc:
        raise RegistrationFailed(f"The tool could not complete {what}: {exc.reason}.") from None
    if not 200 <= answer.status < 300:
        raise RegistrationFailed(f"The LMS refused {what}: {describe_refusal(answer.status, answer.reason, answer.body)}")
    try:
        data = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise RegistrationFailed(f"The LMS's answer to {what} is not JSON.") from None
    if not isinstance(data, dict):
        raise RegistrationFailed(f"The LMS's answer to {what} is not a JSON object.")
    return data


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RegistrationFailed(f"The LMS's configuration has no {name}.")
    try:
        return check_url(name, value.strip())
    except InvalidPlatform as exc:
        raise RegistrationFailed(f"The LMS's configuration is not usable: {exc.message}") from None


def fetch_configuration(policy: HostPolicy, url: str, token: str | None) -> PlatformConfiguration:
    """Read and check the platform's OpenID configuration."""
    data = _get_json(policy, "GET", url, "the configuration request", token)
    issuer = _field(data, "issuer")
    # LTI-DR 3.5.1: the configuration must be served under the issuer it names (a whole path
    # segment: https://lms.example does not cover https://lms.example.evil.test)
    root = issuer.rstrip("/")
    if url != root and not url.startswith(root + "/"):
        raise RegistrationFailed(
            f"The LMS's configuration names issuer {issuer!r}, but was served from {url!r}, "
            "which is not under it.")
    for name, needed in (("token_endpoint_auth_methods_supported", "private_key_jwt"),
                         ("id_token_signing_alg_values_supported", "RS256")):
        offered = data.get(name)
        if isinstance(offered, list) and needed not in offered:
            raise RegistrationFailed(f"The LMS does not offer {needed} ({name}), which LTI 1.3 requires.")
    platform = data.get(PLATFORM_CONFIGURATION)
    platform = platform if isinstance(platform, dict) else {}
    scopes = data.get("scopes_supported")
    product = " ".join(str(platform.get(k) or "") for k in ("product_family_code", "version")).strip()
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=_field(data, "authorization_endpoint"),
        token_endpoint=_field(data, "token_endpoint"),
        jwks_uri=_field(data, "jwks_uri"),
        registration_endpoint=_field(data, "registration_endpoint"),
        scopes_supported=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else None,
        product=product[:120],
    )


def registration_request(tool_url: str, config: PlatformConfiguration) -> dict[str, Any]:
    """The tool's registration (LTI-DR 3.6.1), with the scopes the platform offers."""
    info = tool_info.registration_values(tool_url)
    scopes = [s for s in info["scopes"] if config.scopes_supported is None or s in config.scopes_supported]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": info["initiate_login_url"],
        "redirect_uris": info["redirect_uris"],
        "client_name": info["name"],
        "jwks_uri": info["jwks_url"],
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIGURATION: {
            "domain": info["domain"],
            "description": info["description"],
            "target_link_uri": info["tool_url"],
            "custom_parameters": info["custom_parameters"],
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [{"type": MessageType.DEEP_LINKING, "target_link_uri": info["deep_linking_url"],
                          "label": "EMM2.0 modules"}],
        },
    }


def _policy(url: str, invite: dict[str, Any]) -> HostPolicy:
    """The registering LMS's calls stay on the configuration's host. Loopback is the development
    exception; a private or link-local address only when the invitation names this LMS's issuer."""
    bound = invite.get("issuer")
    same = bound is not None and host_port(str(bound)) == host_port(url)
    return HostPolicy("the registering LMS", frozenset({host_port(url)}), (urlsplit(url).hostname or "",),
                      kinds=None if same else frozenset({LOOPBACK}))


def register_dynamically(
    store: StateStore, *, code: str, invite: dict[str, Any], openid_configuration: str,
    registration_token: str | None,
) -> Registered:
    """The whole registration for an invitation `find_invite` found. The invitation is taken (once)
    only after the LMS has answered; every failure counts towards `MAX_FAILURES`."""
    if not openid_configuration:
        raise InvalidPlatform("openid_configuration", "is required: open this link from the LMS's "
                                                      "tool registration page, not directly")
    try:
        return _register(store, code, invite, openid_configuration, registration_token)
    except EmmError as exc:
        if not isinstance(exc, Conflict) or store.get(_INVITE + code) is not None:
            _count_failure(store, code, invite, exc)
        raise


def _register(store: StateStore, code: str, invite: dict[str, Any], openid_configuration: str,
              registration_token: str | None) -> Registered:
    tool_url = str(invite.get("tool_url") or "")
    url = check_url("openid_configuration", openid_configuration)
    policy = _policy(url, invite)
    config = fetch_configuration(policy, url, registration_token)
    bound = invite.get("issuer")
    if bound is not None and config.issuer.rstrip("/") != str(bound).rstrip("/"):
        raise Forbidden(f"This registration link is for the LMS {bound!r}, not for {config.issuer!r}.",
                        title=_LINK_REFUSED)
    taken = db.session.scalar(select(Platform.client_id).where(Platform.issuer == config.issuer).limit(1))
    if taken is not None and bound is None:
        raise Conflict(
            f"The LMS {config.issuer!r} is already registered (client_id {taken!r}). To add another "
            "registration for it, ask the tool's administrator for a link made for this LMS "
            "(`emm-lti platform invite --issuer`).", title=_LINK_REFUSED)
    answer = _get_json(policy, "POST", config.registration_endpoint, "the registration",
                       registration_token, registration_request(tool_url, config))
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise RegistrationFailed("The LMS's registration answer has no client_id.")
    tool_config = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    if not isinstance(deployment_id, (str, int)) or not str(deployment_id).strip():
        raise RegistrationFailed(
            f"The LMS registered the tool (client_id {client_id!r}) but sent no deployment_id. Add the "
            "deployment by hand with `emm-lti platform add`.")
    try:
        spec = PlatformSpec.build(
            issuer=config.issuer, client_id=client_id.strip(), deployment_ids=[str(deployment_id).strip()],
            auth_login_url=config.authorization_endpoint, auth_token_url=config.token_endpoint,
            key_set_url=config.jwks_uri, name=config.product or None,
        )
    except InvalidPlatform as exc:
        raise RegistrationFailed(f"The LMS's registration answer is not usable: {exc.message}") from None
    if store.pop(_INVITE + code) is None:  # another registration took this invitation meanwhile
        raise Conflict("This registration link was used by another registration just now.",
                       title=_LINK_REFUSED)
    platform = register_platform(spec)  # PlatformExists (409) when (issuer, client_id) is taken
    log.info("dynamic registration: platform %s client %s deployment %s", spec.issuer, spec.client_id,
             spec.deployment_ids[0])
    return Registered(platform, config, str(deployment_id).strip())
