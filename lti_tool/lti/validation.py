"""Launch validation: the id_token verified by PyJWT, the LTI message checked by pylti1p3's validators.

Each step raises LaunchError with a sentence a person can act on; PyJWT's exceptions are translated
into those sentences. What this layer adds to the libraries (docs/architecture.md lists the gaps):
- the id_token must be RS256 with a kid (the algorithm is never taken from the token);
- the platform is found by issuer and client_id (`aud`, or `azp` when there are several audiences)
  and must be the one the login was for;
- the platform's key comes from `PlatformKeySets`, which re-fetches once when a kid is unknown;
- `exp`, `iat` and `nbf` are checked with a documented clock leeway (`EMM_CLOCK_LEEWAY`);
- the nonce must be the one issued with this login's state (the writer records it as used, so a
  replay is refused);
- the OIDC state was checked and taken by the caller, bound to the browser by cookie or platform
  storage, before validation starts.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import jwt
from jwt import exceptions as jwt_errors

from ..config import Settings
from ..errors import LaunchError
from ..platforms.directory import PlatformInfo, directory
from .claims import Claim, MessageType
from ..lms.keysets import PlatformKeySets
from .login import LoginState
from .pylti import check_message

log = logging.getLogger(__name__)

SUPPORTED_MESSAGES = (MessageType.RESOURCE_LINK, MessageType.DEEP_LINKING)
#: claims every id_token must carry; PyJWT refuses a token without one of them
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "nonce", "sub")
#: the longest user id (`sub`) the participant table keeps
SUB_MAX = 255
_MISSING = {
    "iss": "The id_token has no issuer (iss).",
    "aud": "The id_token has no audience (aud).",
    "exp": "The id_token has no 'exp' claim.",
    "iat": "The id_token has no 'iat' claim.",
    "nonce": "The id_token has no nonce.",
    "sub": "The id_token has no subject (sub), so the user cannot be identified.",
}


@dataclass(frozen=True)
class ValidLaunch:
    """A launch whose id_token and message passed every check."""

    claims: dict[str, Any]
    platform: PlatformInfo
    #: our deployment row id
    deployment_id: int


def validate_launch(id_token: str, login_state: LoginState, *, keysets: PlatformKeySets,
                    settings: Settings) -> ValidLaunch:
    """Run every check in order; the first failure raises LaunchError."""
    kid, unverified = _unverified(id_token, settings.max_id_token_bytes)
    platform, client_id = _registration(unverified)
    if login_state.issuer != platform.issuer or login_state.client_id != client_id:
        raise LaunchError("The login and the launch came from different platforms; launch again from the LMS.")
    key = keysets.key_for(platform.key_set_url, kid)
    claims = _verified_claims(id_token, key, kid, platform, client_id, settings.clock_leeway, unverified)
    if claims["nonce"] != login_state.nonce:
        raise LaunchError(
            "The id_token's nonce is not the one this tool sent at login: the launch was replayed "
            "or mixed up with another one. Launch again from the LMS."
        )
    deployment_id = _deployment(claims, platform)
    _check_message(claims)
    return ValidLaunch(claims=claims, platform=platform, deployment_id=deployment_id)


def _unverified(id_token: str, limit: int) -> tuple[str, dict[str, Any]]:
    """The key id and the payload before the signature is checked, only to find whose key checks it."""
    if len(id_token) > limit:
        raise LaunchError(f"The id_token is larger than {limit} bytes, so it was not read.", status=413)
    if id_token.count(".") != 2:
        raise LaunchError("The id_token is not a JWT (it must have three dot-separated parts).")
    try:
        token = jwt.decode_complete(id_token, options={"verify_signature": False})
    except jwt_errors.DecodeError:  # also JSON nested too deeply to parse
        raise LaunchError("The id_token cannot be decoded: it is not valid base64url JSON.") from None
    except jwt_errors.InvalidTokenError:  # PyJWT's other refusal of a header: a kid that is not text
        raise LaunchError("The id_token header has no key id (kid), so its signing key cannot be found.") from None
    header = token["header"]
    alg = header.get("alg")
    if alg != "RS256":
        raise LaunchError(f"The id_token is signed with algorithm {alg!r}; LTI 1.3 requires RS256, so it was refused.")
    if not header.get("kid"):
        raise LaunchError("The id_token header has no key id (kid), so its signing key cannot be found.")
    return header["kid"], token["payload"]


def _registration(body: dict[str, Any]) -> tuple[PlatformInfo, str]:
    """The registered platform and client_id the token names (`aud`, or `azp` among several audiences)."""
    issuer = body.get("iss")
    if not issuer or not isinstance(issuer, str):
        raise LaunchError(_MISSING["iss"])
    aud = body.get("aud")
    audiences = [a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str) and a]
    if not audiences:
        raise LaunchError(_MISSING["aud"])
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
    return platform, client_id


def _verified_claims(id_token: str, key: Any, kid: str, platform: PlatformInfo, client_id: str, leeway: int,
                     unverified: dict[str, Any]) -> dict[str, Any]:
    """PyJWT's decode: signature (RS256 only), then exp, iat, nbf, iss, aud and the required claims."""
    try:
        return jwt.decode(id_token, key, algorithms=["RS256"], audience=client_id, issuer=platform.issuer,
                          leeway=leeway, options={"require": list(REQUIRED_CLAIMS)})
    except jwt_errors.InvalidSignatureError:
        raise LaunchError(
            f"The id_token's signature does not match the LMS's key {kid!r}: it was signed by another key."
        ) from None
    except jwt_errors.MissingRequiredClaimError as exc:
        raise LaunchError(_MISSING.get(exc.claim, f"The id_token has no {exc.claim!r} claim.")) from None
    except jwt_errors.ExpiredSignatureError:
        raise LaunchError(
            f"The id_token expired at {_when(unverified.get('exp'))} (this tool allows {leeway} s of clock "
            "difference). Launch the activity again from the LMS."
        ) from None
    except jwt_errors.ImmatureSignatureError:
        raise LaunchError(
            f"The id_token was issued in the future ({_when(unverified.get('iat'))}), more than {leeway} s "
            "ahead of this server's clock. Check the LMS server's clock."
        ) from None
    except jwt_errors.InvalidAudienceError:
        raise LaunchError("The id_token's audience (aud) is not this tool's client_id.") from None
    except jwt_errors.InvalidIssuerError:
        raise LaunchError("The id_token's issuer (iss) does not match the registered platform.") from None
    except jwt_errors.InvalidSubjectError:
        raise LaunchError("The id_token's subject (sub) is not text, so the user cannot be identified.") from None
    except (jwt_errors.InvalidIssuedAtError, jwt_errors.DecodeError):  # exp, iat or nbf that is not a number
        raise LaunchError("The id_token's exp, iat and nbf must be numbers (seconds since 1970).") from None
    except jwt_errors.InvalidTokenError as exc:  # anything else PyJWT refuses: named, never a 500
        log.info("id_token refused by PyJWT: %s", exc)
        raise LaunchError("The id_token is not valid: it failed its JWT checks.") from None


def _deployment(claims: dict[str, Any], platform: PlatformInfo) -> int:
    deployment_id = claims.get(Claim.DEPLOYMENT_ID)
    if not deployment_id or not isinstance(deployment_id, str):
        raise LaunchError("The id_token has no deployment_id.")
    deployment = platform.deployments.get(deployment_id)
    if deployment is None:
        raise LaunchError(
            f"Deployment {deployment_id!r} is not registered for {platform.label}. "
            "An administrator must add it to the platform's registration."
        )
    return deployment


def _check_message(body: dict[str, Any]) -> None:
    """Our plain-language checks of the claims the tool relies on, then pylti1p3's validator."""
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
    if not isinstance(body.get(Claim.ROLES), list):
        raise LaunchError("The id_token has no roles claim (a list of role URIs).")
    if not body.get("sub"):
        raise LaunchError(_MISSING["sub"])
    if len(body["sub"]) > SUB_MAX:
        raise LaunchError(f"The id_token's subject (sub) is longer than {SUB_MAX} characters, so it cannot be kept.")
    if message_type == MessageType.RESOURCE_LINK:
        link = body.get(Claim.RESOURCE_LINK)
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchError("The id_token has no resource_link id.")
    else:
        settings = body.get(Claim.DL_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise LaunchError("The deep linking request has no deep_linking_settings.deep_link_return_url.")
    check_message(body)


def _when(timestamp: Any) -> str:
    try:
        return datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError):
        return "an unreadable time"
