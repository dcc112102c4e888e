"""LTI 1.3 claim names and message types, so code reads `Claim.ROLES`, not a URL."""
from __future__ import annotations

import enum

_LTI = "https://purl.imsglobal.org/spec/lti/claim/"


class Claim(enum.StrEnum):
    MESSAGE_TYPE = _LTI + "message_type"
    VERSION = _LTI + "version"
    DEPLOYMENT_ID = _LTI + "deployment_id"
    TARGET_LINK_URI = _LTI + "target_link_uri"
    RESOURCE_LINK = _LTI + "resource_link"
    ROLES = _LTI + "roles"
    CONTEXT = _LTI + "context"
    CUSTOM = _LTI + "custom"
    LAUNCH_PRESENTATION = _LTI + "launch_presentation"
    TOOL_PLATFORM = _LTI + "tool_platform"
    LIS = _LTI + "lis"
    AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


class MessageType(enum.StrEnum):
    RESOURCE_LINK = "LtiResourceLinkRequest"
    DEEP_LINKING = "LtiDeepLinkingRequest"
    DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"


class AgsScope(enum.StrEnum):
    LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
    LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
    RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
    SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

#: claims kept on the Launch row for later requests (services, deep linking, presentation)
KEPT_CLAIMS = (
    Claim.AGS, Claim.NRPS, Claim.DL_SETTINGS, Claim.CUSTOM, Claim.LAUNCH_PRESENTATION,
    Claim.RESOURCE_LINK, Claim.CONTEXT, Claim.TOOL_PLATFORM,
)
