"""Launch validation: pylti1p3's MessageLaunch with the gaps of design.md section 9 closed.

Each step raises LaunchError with a sentence a person can act on. Differences from pylti1p3:
- the id_token must be RS256 with a kid (pylti1p3 would try whatever `alg` the header names);
- `aud`, `iss`, `exp` and `iat` are verified by PyJWT with a documented clock leeway;
- the nonce must be the one we issued with this state, and is recorded as used (replay refused);
- platform keys are parsed once and re-fetched once when an unknown kid appears;
- the OIDC state was checked (and consumed) by the caller, bound to the browser by cookie or
  platform storage, before validation starts.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import jwt
import requests
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from sqlalchemy import select

from ..config import Settings
from ..errors import LaunchError
from ..extensions import db
from ..platforms.models import Deployment, Platform
from .claims import Claim, MessageType
from .keysets import PlatformKeySets
from .tool_conf import DbToolConf, registration_for

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
        self.platform: Platform | None = None
        self.deployment: Deployment | None = None
        self.client_id: str = ""

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
        if id_token.count(".") != 2:
            raise LaunchError("The id_token is not a JWT (it must have three dot-separated parts).")
        try:
            header = jwt.get_unverified_header(id_token)
            body = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise LaunchError("The id_token cannot be decoded: it is not valid base64url JSON.") from None
        if not isinstance(body, dict):
            raise LaunchError("The id_token's payload is not a JSON object.")
        alg = header.get("alg")
        if alg != "RS256":
            raise LaunchError(
                f"The id_token is signed with algorithm {alg!r}; LTI 1.3 requires RS256, so it was refused."
            )
        if not header.get("kid"):
            raise LaunchError("The id_token header has no key id (kid), so its signing key cannot be found.")
        self._jwt = {"header": header, "body": body}
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
        platform = db.session.scalar(
            select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
        )
        if platform is None:
            raise LaunchError(
                f"This tool has no registration for issuer {issuer!r} with client_id {client_id!r}. "
                "An administrator must register the LMS first."
            )
        self.platform = platform
        self.client_id = client_id
        self._registration = registration_for(platform, signing=False)
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
        leeway = self._settings.clock_leeway
        try:
            jwt.decode(
                self._request.get_param("id_token"), key, algorithms=["RS256"], audience=self.client_id,
                issuer=self.platform.issuer, leeway=leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            exp = _when(self.claims.get("exp"))
            raise LaunchError(
                f"The id_token expired at {exp} (this tool allows {leeway} s of clock difference). "
                "Launch the activity again from the LMS."
            ) from None
        except jwt.ImmatureSignatureError:
            raise LaunchError(
                f"The id_token was issued in the future ({_when(self.claims.get('iat'))}), more than "
                f"{leeway} s ahead of this server's clock. Check the LMS server's clock."
            ) from None
        except jwt.InvalidAudienceError:
            raise LaunchError("The id_token's audience (aud) is not this tool's client_id.") from None
        except jwt.InvalidIssuerError:
            raise LaunchError("The id_token's issuer (iss) does not match the registered platform.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(f"The id_token has no {exc.claim!r} claim.") from None
        except jwt.InvalidSignatureError:
            raise LaunchError(
                f"The id_token's signature does not match the LMS's key {kid!r}: it was signed by another key."
            ) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"The id_token could not be verified: {exc}.") from None
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
        deployment = db.session.scalar(
            select(Deployment).where(
                Deployment.platform_id == self.platform.id, Deployment.deployment_id == deployment_id
            )
        )
        if deployment is None:
            raise LaunchError(
                f"Deployment {deployment_id!r} is not registered for {self.platform.name or self.platform.issuer}. "
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


def _when(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return "an unreadable time"
