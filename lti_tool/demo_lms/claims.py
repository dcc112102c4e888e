"""id_token claim sets in the shape Moodle 4.5 sends (fixtures 02, 03, 06 and 07)."""
from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from .config import DemoLmsConfig
from .course import COURSE, User
from .state import LaunchIntent, Placement
from .urls import Urls

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LTI_DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LTI_BO = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"


def tool_platform(cfg: DemoLmsConfig) -> dict[str, str]:
    return {
        "product_family_code": "emm-demo-lms",
        "version": "0.1.0",
        "guid": str(uuid.uuid5(uuid.NAMESPACE_URL, cfg.issuer)),
        "name": cfg.name,
        "description": "EMM2.0 demo LMS (loopback only)",
    }


def basic_outcome(urls: Urls, placement: Placement, user: User) -> dict[str, str]:
    """The LTI 1.1 outcome claim Moodle also sends; the demo does not serve LTI 1.1 outcomes."""
    data = {"instanceid": placement.id, "userid": user.sub, "typeid": "1"}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return {
        "lis_result_sourcedid": json.dumps({"data": data, "hash": digest}, separators=(",", ":")),
        "lis_outcome_service_url": urls.basic_outcome,
    }


def _common(
    cfg: DemoLmsConfig, urls: Urls, user: User, intent: LaunchIntent, nonce: str, now: int
) -> dict[str, Any]:
    """Claims every message carries, in Moodle's order."""
    return {
        "nonce": nonce,
        "iat": now,
        "exp": now + cfg.id_token_lifetime,
        "iss": cfg.issuer,
        "aud": cfg.client_id,
        LTI + "deployment_id": cfg.deployment_id,
        LTI + "target_link_uri": cfg.tool_launch_url,
        "sub": user.sub,
        LTI + "lis": {"person_sourcedid": user.sourcedid, "course_section_sourcedid": COURSE.sourcedid},
        LTI + "roles": list(user.roles),
        LTI + "context": {"id": COURSE.id, "label": COURSE.label, "title": COURSE.title, "type": ["CourseSection"]},
        LTI + "message_type": intent.message_type,
    }


def _person(user: User) -> dict[str, Any]:
    return {
        "given_name": user.given_name,
        "family_name": user.family_name,
        "name": user.name,
        LTI + "ext": {"user_username": user.username, "lms": "emm-demo-lms"},
        "email": user.email,
    }


def _custom(urls: Urls, user: User, placement: Placement | None) -> dict[str, str]:
    """Activity-level custom first, then the tool-level ones: `person_country=$Person.address.country`,
    `person_timezone=$Person.address.timezone`, and `agency`, which the demo fills from each person's
    agency as an LMS with an agency profile field that it can substitute would (Moodle cannot: see
    the README's "Agency" section)."""
    custom = dict(placement.custom) if placement else {}
    custom["person_country"] = user.country
    custom["person_timezone"] = user.timezone
    custom["agency"] = user.agency
    custom["context_memberships_url"] = urls.memberships
    return custom


def _services(urls: Urls, placement: Placement | None, user: User) -> dict[str, Any]:
    ags: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": urls.lineitems}
    # Moodle leaves `lineitem` out for users without a gradebook row (the site admin: fixture 06).
    if placement is not None and placement.line_item_id and user.enrolled:
        ags["lineitem"] = urls.lineitem(placement.line_item_id)
    return {
        AGS_CLAIM: ags,
        NRPS_CLAIM: {"context_memberships_url": urls.memberships, "service_versions": ["1.0", "2.0"]},
    }


def resource_link_claims(
    cfg: DemoLmsConfig, urls: Urls, user: User, placement: Placement, intent: LaunchIntent, nonce: str, now: int
) -> dict[str, Any]:
    """An LtiResourceLinkRequest for one placement (fixture 02 for a learner, 03 for a teacher)."""
    claims = _common(cfg, urls, user, intent, nonce, now)
    claims[LTI + "target_link_uri"] = placement.target_link_uri or cfg.tool_launch_url
    claims[LTI + "resource_link"] = {
        "title": placement.title,
        "description": placement.description,
        "id": placement.id,
    }
    claims[LTI_BO] = basic_outcome(urls, placement, user)
    claims.update(_person(user))
    claims[LTI + "launch_presentation"] = {
        "locale": intent.locale,
        "document_target": intent.document_target,
        "return_url": urls.return_url(placement.id),
    }
    claims[LTI + "tool_platform"] = tool_platform(cfg)
    claims[LTI + "version"] = "1.3.0"
    claims[LTI + "custom"] = _custom(urls, user, placement)
    claims.update(_services(urls, placement, user))
    return claims


def deep_linking_claims(
    cfg: DemoLmsConfig, urls: Urls, user: User, intent: LaunchIntent, nonce: str, now: int, data: str
) -> dict[str, Any]:
    """An LtiDeepLinkingRequest (fixture 07): no resource link, and `data` to be echoed back."""
    claims = _common(cfg, urls, user, intent, nonce, now)
    claims.update(_person(user))
    claims[LTI + "launch_presentation"] = {"locale": intent.locale}
    claims[LTI + "tool_platform"] = tool_platform(cfg)
    claims[LTI + "version"] = "1.3.0"
    claims[LTI + "custom"] = _custom(urls, user, None)
    claims.update(_services(urls, None, user))
    claims[LTI_DL + "deep_linking_settings"] = {
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_copy_advice": False,
        "accept_multiple": True,
        "accept_unsigned": False,
        "auto_create": False,
        "can_confirm": False,
        "deep_link_return_url": urls.deep_link_return,
        "title": "Add EMM2.0 modules",
        "text": "Pick one or more modules to add to the course",
        "data": data,
    }
    return claims
