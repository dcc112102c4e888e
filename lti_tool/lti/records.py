"""Record what a validated launch tells us: course, placement, participant, enrolment, launch."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..config import Settings
from ..courses.models import Course, Enrolment, Participant, Placement
from ..errors import LaunchError
from ..extensions import db
from ..models_base import utcnow
from ..platforms.models import Deployment, Platform
from .claims import KEPT_CLAIMS, Claim, MessageType
from .models import Launch, UsedNonce
from .roles import access_for

log = logging.getLogger(__name__)

SUPPORTED_LOCALES = ("en", "es", "fr")
M = TypeVar("M")


def ui_locale(raw: Any) -> str:
    """Moodle sends codes like `es_mx` or `pt_br`, others BCP 47 (`fr-CA`); keep the language if we have it."""
    if not isinstance(raw, str) or not raw:
        return "en"
    language = raw.replace("-", "_").split("_", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else "en"


def _get_or_create(model: type[M], lookup: dict[str, Any], **defaults: Any) -> M:
    """Find a row or insert it; a concurrent insert of the same row is caught and re-read."""
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = model(**lookup, **defaults)
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(model).filter_by(**lookup))
        if row is None:
            raise
    return row


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def record_launch(
    claims: dict[str, Any], platform: Platform, deployment: Deployment, settings: Settings
) -> Launch:
    """Write the launch's rows in the current transaction; a used nonce means a replay."""
    now = utcnow()
    nonce_expiry = datetime.fromtimestamp(int(claims["exp"]), timezone.utc) + timedelta(
        seconds=settings.clock_leeway
    )
    try:
        with db.session.begin_nested():
            db.session.add(UsedNonce(platform_id=platform.id, nonce=claims["nonce"], expires_at=nonce_expiry))
    except IntegrityError:
        raise LaunchError("This launch was already used (its nonce was seen before). Launch again from the LMS.") from None

    access = access_for(claims.get(Claim.ROLES) or [])
    context = claims.get(Claim.CONTEXT) if isinstance(claims.get(Claim.CONTEXT), dict) else {}
    nrps = claims.get(Claim.NRPS) if isinstance(claims.get(Claim.NRPS), dict) else {}
    ags = claims.get(Claim.AGS) if isinstance(claims.get(Claim.AGS), dict) else {}
    custom = claims.get(Claim.CUSTOM) if isinstance(claims.get(Claim.CUSTOM), dict) else {}

    course = _get_or_create(
        Course, {"platform_id": platform.id, "context_id": _text(context.get("id"), 255)},
        deployment_id=deployment.id,
    )
    course.label = _text(context.get("label"), 255) or course.label
    course.title = _text(context.get("title"), 512) or course.title
    course.memberships_url = nrps.get("context_memberships_url") or course.memberships_url
    course.lineitems_url = ags.get("lineitems") or course.lineitems_url

    participant = _get_or_create(Participant, {"platform_id": platform.id, "sub": claims["sub"]})
    name = _text(claims.get("name"), 255) or " ".join(
        p for p in (_text(claims.get("given_name"), 120), _text(claims.get("family_name"), 120)) if p
    )
    participant.name = name or participant.name
    participant.email = _text(claims.get("email"), 320) or participant.email
    participant.last_seen_at = now

    enrolment = _get_or_create(
        Enrolment, {"course_id": course.id, "participant_id": participant.id}, role=access.label
    )
    enrolment.role = access.label
    enrolment.last_launch_at = now

    placement = None
    if claims.get(Claim.MESSAGE_TYPE) == MessageType.RESOURCE_LINK:
        link = claims[Claim.RESOURCE_LINK]
        placement = _get_or_create(Placement, {"course_id": course.id, "resource_link_id": str(link["id"])[:255]})
        placement.title = _text(link.get("title"), 512) or placement.title
        module = custom.get("module")
        placement.module_id = module.strip().lower()[:32] if isinstance(module, str) and module.strip() else None
        placement.lineitem_url = ags.get("lineitem") or placement.lineitem_url

    presentation = claims.get(Claim.LAUNCH_PRESENTATION) or {}
    launch = Launch(
        id=secrets.token_hex(16),
        platform_id=platform.id,
        deployment_id=deployment.id,
        course_id=course.id,
        placement_id=placement.id if placement else None,
        participant_id=participant.id,
        message_type=claims[Claim.MESSAGE_TYPE],
        role=access.label,
        locale=ui_locale(presentation.get("locale") if isinstance(presentation, dict) else None),
        claims={str(k): claims[k] for k in KEPT_CLAIMS if k in claims},
        created_at=now,
        expires_at=now + timedelta(seconds=settings.launch_ttl),
    )
    db.session.add(launch)
    db.session.flush()
    log.info(
        "launch %s accepted: platform %s course %s placement %s participant %s as %s",
        launch.id, platform.id, course.id, placement.id if placement else None, participant.id, access.label,
    )
    return launch
