"""Record what a validated launch tells us: course, placement, participant, enrolment, launch."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..attribution import custom_country, substituted
from ..config import Settings
from ..courses.models import Course, Enrolment, Participant, Placement
from ..errors import LaunchError
from ..extensions import db
from ..models_base import utcnow
from .claims import KEPT_CLAIMS, Claim, MessageType
from .models import Launch, UsedNonce
from .roles import access_for

log = logging.getLogger(__name__)

SUPPORTED_LOCALES = ("en", "es", "fr")
_INSERT_NONCE = UsedNonce.__table__.insert()
_INSERT_LAUNCH = Launch.__table__.insert()


def ui_locale(raw: Any) -> str:
    """Moodle sends codes like `es_mx` or `pt_br`, others BCP 47 (`fr-CA`); keep the language if we have it."""
    if not isinstance(raw, str) or not raw:
        return "en"
    language = raw.replace("-", "_").split("_", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else "en"


_STATEMENTS: dict[tuple, Any] = {}


def _upsert(model: Any, values: dict[str, Any], key: tuple[str, ...], update: tuple[str, ...]) -> int:
    """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING id, in one statement on SQLite and PostgreSQL.

    Two concurrent first launches of the same person cannot collide, and no row is read first.
    The statement is built once per shape and reused with new parameters (building it costs more
    than running it).
    """
    dialect = db.session.get_bind().dialect.name
    shape = (model, dialect, tuple(sorted(values)), key, update)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        table = model.__table__
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_={name: insert.excluded[name] for name in update},
        ).returning(table.c.id)
        _STATEMENTS[shape] = statement
    return db.session.execute(statement, values).scalar_one()


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def record_launch(claims: dict[str, Any], platform_id: int, deployment_id: int, settings: Settings) -> str:
    """Write the launch's rows in the current transaction and return the launch id.

    Six statements, no reads: upserts keep the most recent values from the LMS, and a unique
    index on the nonce turns a replayed launch into a clear refusal.
    """
    now = utcnow()
    nonce_expiry = datetime.fromtimestamp(int(claims["exp"]), timezone.utc) + timedelta(
        seconds=settings.clock_leeway
    )
    try:
        db.session.execute(_INSERT_NONCE, {"platform_id": platform_id, "nonce": claims["nonce"],
                                           "expires_at": nonce_expiry})
    except IntegrityError:
        db.session.rollback()
        raise LaunchError("This launch was already used (its nonce was seen before). Launch again from the LMS.") from None

    access = access_for(claims.get(Claim.ROLES) or [])
    context = _dict(claims.get(Claim.CONTEXT))
    nrps = _dict(claims.get(Claim.NRPS))
    ags = _dict(claims.get(Claim.AGS))
    custom = _dict(claims.get(Claim.CUSTOM))

    course_values: dict[str, Any] = {
        "platform_id": platform_id, "deployment_id": deployment_id, "context_id": _text(context.get("id"), 255),
        "label": _text(context.get("label"), 255), "title": _text(context.get("title"), 512),
        "memberships_url": nrps.get("context_memberships_url") or None, "lineitems_url": ags.get("lineitems") or None,
        "ags_scopes": [s for s in ags["scope"] if isinstance(s, str)] if isinstance(ags.get("scope"), list) else None,
        "created_at": now, "updated_at": now,
    }
    course_id = _upsert(Course, course_values, ("platform_id", "context_id"),
                        ("label", "title", "memberships_url", "lineitems_url", "ags_scopes", "updated_at"))

    name = _text(claims.get("name"), 255) or " ".join(
        p for p in (_text(claims.get("given_name"), 120), _text(claims.get("family_name"), 120)) if p
    )
    participant_values: dict[str, Any] = {"platform_id": platform_id, "sub": claims["sub"], "name": name,
                                          "email": _text(claims.get("email"), 320), "created_at": now,
                                          "last_seen_at": now}
    updates = ["name", "email", "last_seen_at"]
    profile_country, problem = custom_country(custom, "person_country")
    if problem:
        log.warning("launch from platform %s: %s", platform_id, problem)
    if profile_country or custom.get("person_country") == "":
        # a valid code, or Moodle's empty substitution: the profile has no country (any more)
        participant_values["profile_country"] = profile_country
        updates.append("profile_country")
    agency = substituted(custom.get("agency"))
    if agency:
        participant_values["agency"] = agency[:255]
        updates.append("agency")
    participant_id = _upsert(Participant, participant_values, ("platform_id", "sub"), tuple(updates))

    _upsert(Enrolment, {"course_id": course_id, "participant_id": participant_id, "role": access.label,
                        "last_launch_at": now}, ("course_id", "participant_id"), ("role", "last_launch_at"))

    placement_id = None
    if claims.get(Claim.MESSAGE_TYPE) == MessageType.RESOURCE_LINK:
        link = claims[Claim.RESOURCE_LINK]
        module = custom.get("module")
        activity_country, problem = custom_country(custom, "country")
        if problem:
            log.warning("resource link %s: %s", link.get("id"), problem)
        placement_values = {
            "course_id": course_id, "resource_link_id": str(link["id"])[:255],
            "title": _text(link.get("title"), 512),
            "module_id": module.strip().lower()[:32] if isinstance(module, str) and module.strip() else None,
            "country": activity_country, "lineitem_url": ags.get("lineitem") or None,
            "created_at": now, "updated_at": now,
        }
        placement_updates = ["title", "module_id", "country", "updated_at"]
        if placement_values["lineitem_url"]:
            placement_updates.append("lineitem_url")  # keep a line item we found or created ourselves
        placement_id = _upsert(Placement, placement_values, ("course_id", "resource_link_id"),
                               tuple(placement_updates))

    presentation = _dict(claims.get(Claim.LAUNCH_PRESENTATION))
    launch_id = secrets.token_hex(16)
    db.session.execute(_INSERT_LAUNCH, dict(
        id=launch_id, platform_id=platform_id, deployment_id=deployment_id, course_id=course_id,
        placement_id=placement_id, participant_id=participant_id, message_type=claims[Claim.MESSAGE_TYPE],
        role=access.label, locale=ui_locale(presentation.get("locale")),
        claims={str(k): claims[k] for k in KEPT_CLAIMS if k in claims}, created_at=now,
        expires_at=now + timedelta(seconds=settings.launch_ttl),
    ))
    log.info("launch %s accepted: platform %s course %s placement %s participant %s as %s",
             launch_id, platform_id, course_id, placement_id, participant_id, access.label)
    return launch_id


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
