"""LTI Dynamic Registration (1EdTech LTI-DR 1.0): an LMS registers the tool from one URL.

An administrator runs `emm-lti platform invite --tool-url https://tool.example.org`, which prints a
one-time registration URL. Pasted into the LMS (Moodle: Manage tools → Tool URL → "Add LTI
Advantage"), the LMS opens it with `openid_configuration` and `registration_token`. The tool reads
the platform's configuration, sends its own registration and records the platform and deployment
the LMS answers with: the same rows `emm-lti platform add` writes, through the same checks.

Why an invitation: Dynamic Registration authenticates nobody. Without one, anyone who can reach the
tool could register a platform of their own. An invitation is used once and expires (an hour by
default); it lives in the launch state store, so every worker and host sees it.
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l

from ..errors import Conflict, EmmError, Forbidden
from ..lti import tool_info
from ..lti.claims import MessageType
from ..platform_client import TIMEOUT, describe_refusal
from ..state_store import StateStore
from .models import Platform
from .services import InvalidPlatform, PlatformSpec, check_url, register_platform

_INVITE = "registration-invite:"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
#: the largest configuration or registration answer we read
MAX_ANSWER_BYTES = 256 * 1024


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

def issue_invite(store: StateStore, tool_url: str, ttl: int) -> Invite:
    """A one-time registration URL on `tool_url`, valid for `ttl` seconds."""
    base = check_url("tool-url", tool_url).rstrip("/")
    if urlsplit(base).query or urlsplit(base).fragment:
        raise InvalidPlatform("tool-url", "must not have a query or a fragment")
    if not 60 <= ttl <= 7 * 24 * 3600:
        raise InvalidPlatform("hours", "must be between 1 minute and 7 days")
    code = secrets.token_urlsafe(24)
    expires_at = time.time() + ttl
    # the registration sends the tool's URLs as the administrator gave them, not as a proxy passed them on
    store.put(_INVITE + code, {"tool_url": base, "expires_at": expires_at}, ttl)
    return Invite(url=f"{base}/lti/register/{code}", expires_at=expires_at)


def _invite_refused() -> Forbidden:
    return Forbidden(
        "This registration link is unknown, already used or expired. Ask the tool's administrator "
        "for a new one (`emm-lti platform invite`).",
        title=_LINK_REFUSED,
    )


# -- the platform's side --------------------------------------------------------------------------

def _get_json(http: requests.Session, method: str, url: str, what: str, token: str | None,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with http.request(method, url, headers=headers, json=body, timeout=TIMEOUT, stream=True) as response:
            raw = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        raise RegistrationFailed(f"The LMS could not be reached for {what} ({type(exc).__name__}).") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise RegistrationFailed(f"The LMS's answer to {what} is larger than {MAX_ANSWER_BYTES} bytes.")
    if not 200 <= response.status_code < 300:
        reason = describe_refusal(response.status_code, raw.decode("utf-8", "replace"))
        raise RegistrationFailed(f"The LMS refused {what}: {reason}")
    try:
        data = json.loads(raw)
    except ValueError:
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


def fetch_configuration(http: requests.Session, url: str, token: str | None) -> PlatformConfiguration:
    """Read and check the platform's OpenID configuration."""
    data = _get_json(http, "GET", url, "the configuration request", token)
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


def register_dynamically(
    http: requests.Session, store: StateStore, *, code: str, openid_configuration: str,
    registration_token: str | None,
) -> Registered:
    """The whole registration. The invitation is taken (once) only after the LMS has answered."""
    invite = store.get(_INVITE + code) if code else None
    if invite is None:
        raise _invite_refused()
    tool_url = str(invite.get("tool_url") or "")
    if not openid_configuration:
        raise InvalidPlatform("openid_configuration", "is required: open this link from the LMS's "
                                                      "tool registration page, not directly")
    url = check_url("openid_configuration", openid_configuration)
    config = fetch_configuration(http, url, registration_token)
    answer = _get_json(http, "POST", config.registration_endpoint, "the registration",
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
    return Registered(register_platform(spec), config, str(deployment_id).strip())
