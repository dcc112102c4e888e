"""The narrow seam to pylti1p3 (pylti1p3next): its LTI message validators and its Registration.

We use the library where it is a good fit and nowhere else: its message validators check the LTI
claims of each message type, and its `Registration` carries a platform and our signing key into its
`DeepLink` (facilitator/deep_linking.py). Login, id_token verification (PyJWT), nonces and state
are ours because the library keeps them in the framework session, has no clock leeway, never
consumes a nonce and has no platform storage (the gaps docs/architecture.md lists).
"""
from __future__ import annotations

from typing import Any, Mapping

from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators
from pylti1p3.registration import Registration

from ..errors import LaunchError
from ..keys.services import signing_key
from ..platforms.models import Platform


def check_message(claims: Mapping[str, Any]) -> None:
    """Run pylti1p3's validator for this message type (exactly one must apply), as its MessageLaunch does.

    Call it after our own claim checks, which name each problem in plain words and make sure the
    claims the validators read have the shapes they expect (they would fail on a non-object claim).
    """
    body = dict(claims)
    applicable = [v for v in get_validators() if v.can_validate(body)]
    if len(applicable) != 1:
        raise LaunchError("The launch message is not valid LTI 1.3: its message type has no single validator.")
    try:
        if not applicable[0].validate(body):
            raise LaunchError("The launch message is not valid LTI 1.3: message validation failed.")
    except LtiException as exc:
        raise LaunchError(f"The launch message is not valid LTI 1.3: {exc}") from None


class KeyedRegistration(Registration):
    """A Registration whose kid is the one we publish, not one derived from the public key."""

    def __init__(self, kid: str):
        super().__init__()
        self._emm_kid = kid

    def get_kid(self) -> str:
        return self._emm_kid


def registration_for(platform: Platform) -> Registration:
    """A pylti1p3 Registration for a platform row, carrying our active signing key."""
    key = signing_key()
    registration = (
        KeyedRegistration(key.kid)
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url)
        .set_tool_private_key(key.private_pem)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration
