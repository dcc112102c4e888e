"""Deep Linking return: verify the tool's LtiDeepLinkingResponse and add its items as placements."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, request

from .claims import DEEP_LINKING_RESPONSE, LTI, LTI_DL
from .extension import DemoLms
from .state import Placement
from .tool_keys import ToolJwtError
from .web import current_lms, html_message

log = logging.getLogger(__name__)

bp = Blueprint("demo_lms_deep_linking", __name__)


class DeepLinkError(Exception):
    """A Deep Linking response we refuse; nothing has been added to the course."""


@dataclass
class PlannedPlacement:
    """One ltiResourceLink item, checked but not yet added (so a bad item adds nothing at all)."""

    title: str
    text: str
    url: str | None
    custom: dict[str, str]
    line_item: dict[str, Any] | None


@dataclass
class DeepLinkResult:
    placements: list[Placement] = field(default_factory=list)
    ignored_types: list[str] = field(default_factory=list)
    msg: str = ""
    errormsg: str = ""


def verify_response(lms: DemoLms, token: str) -> dict[str, Any]:
    """Check signature (tool JWKS over HTTP), iss, aud, exp, message type, deployment, nonce and data."""
    try:
        claims = lms.tool_keys.decode(
            token, issuer=lms.cfg.client_id, audience=lms.cfg.issuer, leeway=lms.cfg.clock_leeway
        )
    except ToolJwtError as exc:
        raise DeepLinkError(str(exc)) from exc
    if claims.get(LTI + "message_type") != DEEP_LINKING_RESPONSE:
        raise DeepLinkError(f"message_type must be {DEEP_LINKING_RESPONSE}")
    if claims.get(LTI + "version") != "1.3.0":
        raise DeepLinkError("version must be 1.3.0")
    if claims.get(LTI + "deployment_id") != lms.cfg.deployment_id:
        raise DeepLinkError(f"deployment_id must be {lms.cfg.deployment_id!r}")
    if not isinstance(claims.get("nonce"), str) or not claims["nonce"]:
        raise DeepLinkError("the response has no nonce")
    data = claims.get(LTI_DL + "data")
    with lms.state.lock:
        known = isinstance(data, str) and data in lms.state.deep_link_requests
    if not known:
        raise DeepLinkError("the data claim does not echo an open Deep Linking request of this course")
    return claims


def _consume(lms: DemoLms, claims: dict[str, Any]) -> None:
    """Use up the nonce and the request's data, so the same response cannot add modules twice."""
    with lms.state.lock:
        if not lms.state.use_jwt_id(f"nonce:{claims['nonce']}", float(claims["exp"]) + lms.cfg.clock_leeway):
            raise DeepLinkError("this response was already used (nonce replay)")
        if lms.state.deep_link_requests.pop(claims[LTI_DL + "data"], None) is None:
            raise DeepLinkError("this Deep Linking request was already answered")


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _strings(custom: Any, title: str) -> dict[str, str]:
    """Custom values become strings, as Moodle stores them in k=v lines."""
    if custom is None:
        return {}
    if not isinstance(custom, dict) or not all(isinstance(k, str) and k for k in custom):
        raise DeepLinkError(f"item {title!r}: custom must be an object with string keys")
    for key, value in custom.items():
        if isinstance(value, (dict, list)) or value is None:
            raise DeepLinkError(f"item {title!r}: custom value {key!r} must be a string")
    return {key: _as_string(value) for key, value in custom.items()}


def _line_item(value: Any, title: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DeepLinkError(f"item {title!r}: lineItem must be an object")
    maximum = value.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, (int, float)) or maximum <= 0:
        raise DeepLinkError(f"item {title!r}: lineItem.scoreMaximum must be a number above 0")
    fields = {"label": str(value.get("label") or title), "score_maximum": float(maximum)}
    for key, attr in (("resourceId", "resource_id"), ("tag", "tag")):
        fields[attr] = str(value.get(key) or "")
    return fields


def plan_items(lms: DemoLms, claims: dict[str, Any]) -> tuple[list[PlannedPlacement], list[str]]:
    """Check every content item first; return the placements to add and the item types ignored."""
    items = claims.get(LTI_DL + "content_items") or []
    if not isinstance(items, list):
        raise DeepLinkError("content_items must be a list")
    planned: list[PlannedPlacement] = []
    ignored: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            raise DeepLinkError("every content item must be an object")
        if item.get("type") != "ltiResourceLink":
            ignored.append(str(item.get("type")))
            continue
        title = item.get("title") or "Untitled module"
        if not isinstance(title, str):
            raise DeepLinkError("an item's title must be a string")
        url = item.get("url")
        if url is not None:
            parts = urlsplit(str(url))
            if f"{parts.scheme}://{parts.netloc}" != lms.cfg.tool_origin:
                raise DeepLinkError(f"item {title!r}: url {url!r} is not on the tool's origin")
        planned.append(
            PlannedPlacement(
                title=title,
                text=str(item.get("text") or ""),
                url=str(url) if url else None,
                custom=_strings(item.get("custom"), title),
                line_item=_line_item(item.get("lineItem"), title),
            )
        )
    return planned, ignored


def handle_response(lms: DemoLms, token: str) -> DeepLinkResult:
    """Verify a response and add one placement (and grade column, if asked) per ltiResourceLink."""
    claims = verify_response(lms, token)
    planned, ignored = plan_items(lms, claims)
    _consume(lms, claims)
    result = DeepLinkResult(
        ignored_types=ignored,
        msg=str(claims.get(LTI_DL + "msg") or ""),
        errormsg=str(claims.get(LTI_DL + "errormsg") or ""),
    )
    for plan in planned:
        result.placements.append(
            lms.state.add_placement(
                plan.title, plan.custom, description=plan.text, target_link_uri=plan.url, line_item=plan.line_item
            )
        )
    lms.count("deep_link_returns")
    log.info("deep linking added %d placement(s), ignored %d item(s)", len(result.placements), len(ignored))
    return result


@bp.post("/deep-link-return")
def deep_link_return() -> tuple[str, int]:
    lms = current_lms()
    token = request.form.get("JWT", "")
    if not token:
        return html_message(400, "Deep Linking failed", "The tool sent no JWT form field.")
    try:
        result = handle_response(lms, token)
    except DeepLinkError as exc:
        log.warning("refused a deep linking response: %s", exc)
        return html_message(400, "Deep Linking failed", f"The tool's response was refused: {exc}")
    return html_message(200, "Modules added", "", deep_link=result)
