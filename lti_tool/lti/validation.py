"""Launch validation: pylti1p3's MessageLaunch with the gaps of design.md section 9 closed.

Each step raises LaunchError with a sentence a person can act on. Differences from pylti1p3:
- the id_token must be RS256 with a kid (pylti1p3 would try whatever `alg` the header names);
- `aud`, `iss`, `exp` and `iat` are checked with a documented clock leeway, the signature with
  PyJWT's RS256 primitive over the token parsed once;
- the nonce must be the one we issued with this state, and is recorded as used (replay refused);
- platform keys are parsed once and re-fetched once when an unknown kid appears;
- the OIDC state was checked (and consumed) by the caller, bound to the browser by cookie or
  platform storage, before validation starts.
"""
from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests
from jwt.algorithms import RSAAlgorithm
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException

from ..config import Settings
from ..errors import LaunchError
from ..platforms.directory import PlatformInfo, directory
from .claims import Claim, MessageType
from ..lms.keysets import PlatformKeySets
from .tool_conf import DbToolConf

log = logging.getLogger(__name__)

SUPPORTED_MESSAGES = (MessageType.RESOURCE_LINK, MessageType.DEEP_LINKING)


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


class EmmMessageLaunch(FlaskMessageLaunch):
    """One launch being validated. Use `validate()`, then read `claims`, `platform`, `deployment`."""

    def __init__(
        self, request: FlaskRequest, tool_conf: DbToolConf, *, login_state: LoginState,
        keysets: PlatformKeySets, settings: Settings, requests_session: requests.Session,
    ):
        super().__init__(request, tool_conf, requests_session=requests_session)
        self._login_state = login_state
        self._keysets = keysets
        self._settings = settings
        self._registration = None
        self.platform: PlatformInfo | None = None
        #: our deployment row id
        self.deployment: int | None = None
        self.client_id: str = ""
        self._signing_input = b""
        self._signature = b""

    # -- the pipeline -------------------------------------------------------------------------

    def validate(self) -> "EmmMessageLaunch":
        """Run every check in order; the first failure raises LaunchError."""
        self._validated = True
        try:
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_state()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
        except LtiException as exc:  # a pylti1p3 validator's own message
            self._validated = False
            raise LaunchError(f"The launch message is not valid LTI 1.3: {exc}") from None
        except Exception:
            self._validated = False
            raise
        return self

    @property
    def claims(self) -> dict[str, Any]:
        return self._jwt["body"]

    def validate_jwt_format(self) -> "EmmMessageLaunch":
        id_token = self._request.get_param("id_token")
        if not id_token:
            raise LaunchError("The LMS sent no id_token. Launch the activity again from the LMS.")
        limit = self._settings.max_id_token_bytes
        if len(id_token) > limit:
            raise LaunchError(f"The id_token is larger than {limit} bytes, so it was not read.", status=413)
        parts = id_token.split(".")
        if len(parts) != 3:
            raise LaunchError("The id_token is not a JWT (it must have three dot-separated parts).")
        # parsed once here (PyJWT's decoder re-validates every character in Python, three times over)
        try:
            header = json.loads(_b64decode(parts[0]))
            body = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, TypeError):
            raise LaunchError("The id_token cannot be decoded: it is not valid base64url JSON.") from None
        except RecursionError:  # JSON nested thousands deep: refused, not a 500
            raise LaunchError("The id_token's JSON is nested too deeply to be read.") from None
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchError("The id_token's header or payload is not a JSON object.")
        alg = header.get("alg")
        if alg != "RS256":
            raise LaunchError(
                f"The id_token is signed with algorithm {alg!r}; LTI 1.3 requires RS256, so it was refused."
            )
        if not header.get("kid") or not isinstance(header.get("kid"), str):
            raise LaunchError("The id_token header has no key id (kid), so its signing key cannot be found.")
        self._jwt = {"header": header, "body": body}
        self._signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
        self._signature = signature
        return self

    def validate_registration(self) -> "EmmMessageLaunch":
        body = self.claims
        issuer = body.get("iss")
        if not issuer or not isinstance(issuer, str):
            raise LaunchError("The id_token has no issuer (iss).")
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        audiences = [a for a in audiences if isinstance(a, str) and a]
        if not audiences:
            raise LaunchError("The id_token has no audience (aud).")
        azp = body.get("azp")
        if len(audiences) > 1 and not azp:
            raise LaunchError("The id_token names several audiences but no authorized party (azp).")
        client_id = azp if azp else audiences[0]
        if client_id not in audiences:
            raise LaunchError("The id_token's authorized party (azp) is not one of its audiences.")
        platform = directory.find(issuer, client_id)
        if platform is None:
            raise LaunchError(
                f"This tool has no registration for issuer {issuer!r} with client_id {client_id!r}. "
                "An administrator must register the LMS first."
            )
        self.platform = platform
        self.client_id = client_id
        return self

    def validate_state(self) -> "EmmMessageLaunch":
        state = self._login_state
        if state.issuer != self.platform.issuer or state.client_id != self.client_id:
            raise LaunchError(
                "The login and the launch came from different platforms; launch again from the LMS."
            )
        return self

    def validate_jwt_signature(self) -> "EmmMessageLaunch":
        kid = self._jwt["header"]["kid"]
        key = self._keysets.key_for(self.platform.key_set_url, kid)
        if not _RS256.verify(self._signing_input, key, self._signature):
            raise LaunchError(
                f"The id_token's signature does not match the LMS's key {kid!r}: it was signed by another key."
            )
        body, leeway, now = self.claims, self._settings.clock_leeway, time.time()
        for claim in ("exp", "iat", "iss", "aud"):
            if claim not in body:
                raise LaunchError(f"The id_token has no {claim!r} claim.")
        exp, iat = body["exp"], body["iat"]
        if not _is_number(exp) or not _is_number(iat):
            raise LaunchError("The id_token's exp and iat must be numbers (seconds since 1970).")
        if exp + leeway < now:
            raise LaunchError(
                f"The id_token expired at {_when(exp)} (this tool allows {leeway} s of clock difference). "
                "Launch the activity again from the LMS."
            )
        if iat - leeway > now or (_is_number(body.get("nbf")) and body["nbf"] - leeway > now):
            raise LaunchError(
                f"The id_token was issued in the future ({_when(iat)}), more than "
                f"{leeway} s ahead of this server's clock. Check the LMS server's clock."
            )
        aud = body["aud"]
        if self.client_id not in (aud if isinstance(aud, list) else [aud]):
            raise LaunchError("The id_token's audience (aud) is not this tool's client_id.")
        if body["iss"] != self.platform.issuer:
            raise LaunchError("The id_token's issuer (iss) does not match the registered platform.")
        return self

    def validate_nonce(self) -> "EmmMessageLaunch":
        nonce = self.claims.get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise LaunchError("The id_token has no nonce.")
        if nonce != self._login_state.nonce:
            raise LaunchError(
                "The id_token's nonce is not the one this tool sent at login: the launch was replayed "
                "or mixed up with another one. Launch again from the LMS."
            )
        return self

    def validate_deployment(self) -> "EmmMessageLaunch":
        deployment_id = self.claims.get(Claim.DEPLOYMENT_ID)
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError("The id_token has no deployment_id.")
        deployment = self.platform.deployments.get(deployment_id)
        if deployment is None:
            raise LaunchError(
                f"Deployment {deployment_id!r} is not registered for {self.platform.label}. "
                "An administrator must add it to the platform's registration."
            )
        self.deployment = deployment
        return self

    def validate_message(self) -> "EmmMessageLaunch":
        body = self.claims
        message_type = body.get(Claim.MESSAGE_TYPE)
        if not message_type:
            raise LaunchError("The id_token has no message_type.")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchError(
                f"Message type {message_type!r} is not supported; this tool accepts "
                "LtiResourceLinkRequest and LtiDeepLinkingRequest."
            )
        version = body.get(Claim.VERSION)
        if version != "1.3.0":
            raise LaunchError(f"LTI version {version!r} is not supported; expected 1.3.0.")
        roles = body.get(Claim.ROLES)
        if not isinstance(roles, list):
            raise LaunchError("The id_token has no roles claim (a list of role URIs).")
        if not body.get("sub") or not isinstance(body.get("sub"), str):
            raise LaunchError("The id_token has no subject (sub), so the user cannot be identified.")
        if message_type == MessageType.RESOURCE_LINK:
            link = body.get(Claim.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError("The id_token has no resource_link id.")
        else:
            settings = body.get(Claim.DL_SETTINGS)
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise LaunchError("The deep linking request has no deep_linking_settings.deep_link_return_url.")
        super().validate_message()
        return self


_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)


def _b64decode(segment: str) -> bytes:
    if not segment.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _when(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return "an unreadable time"
