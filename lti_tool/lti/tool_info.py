"""What the tool tells an LMS about itself: URLs, custom parameters, scopes, placements."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .claims import NRPS_SCOPE, AgsScope

TOOL_NAME = "EMM2.0 — Essentials of Migration Management"
TOOL_DESCRIPTION = (
    "Modules and quizzes of IOM's Essentials of Migration Management 2.0, with completion "
    "per participant and country sent to the gradebook."
)
#: Moodle substitutes the user's profile country and time zone; the country key differs from the
#: activity-level `country` because a tool-level parameter overrides an activity-level one with the
#: same key. The time zone shows staff times in the person's own zone (Moodle sends "99" for "the
#: site's zone", which the tool cannot know: EMM_DISPLAY_TIMEZONE is used then).
TOOL_CUSTOM_PARAMETERS = {"person_country": "$Person.address.country", "person_timezone": "$Person.address.timezone"}


def registration_values(host_url: str) -> dict[str, Any]:
    """Everything an admin needs, as absolute URLs on the host the request came to."""
    base = host_url.rstrip("/")
    return {
        "name": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "domain": urlsplit(base).netloc,
        "tool_url": base + "/lti/launch",
        "initiate_login_url": base + "/lti/login",
        "redirect_uris": [base + "/lti/launch"],
        "deep_linking_url": base + "/lti/launch",
        "jwks_url": base + "/.well-known/jwks.json",
        "custom_parameters": dict(TOOL_CUSTOM_PARAMETERS),
        "custom_parameters_text": "\n".join(f"{k}={v}" for k, v in TOOL_CUSTOM_PARAMETERS.items()),
        "lti_version": "1.3.0",
        "public_key_type": "JWK_KEYSET",
        "privacy": {"share_name": "always", "share_email": "always", "accept_grades": "always"},
        "scopes": [s.value for s in AgsScope] + [NRPS_SCOPE],
        "messages": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
    }
