"""Record what a validated launch tells us: course, placement, participant, enrolment, launch.

Two steps: `LaunchFacts.from_claims()` works out every value from the claims (pure: no database, no
request), then `write_launch()` writes them through the request's session. The writes are upserts
(INSERT … ON CONFLICT DO UPDATE, on SQLite and PostgreSQL alike), so two concurrent first launches
of one person cannot collide and no row is read first; the request's after-request hook commits
them with everything else, or rolls them back if the request fails.

The statements are Core statements on the tables, built once per shape and executed with each
launch's values as parameters (SQLAlchemy then reuses its compiled form): building an upsert and its
`excluded` columns anew for every launch cost several times what running it does.
"""
from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from ..attribution import custom_country, substituted
from ..config import Settings
from ..courses.models import Course, Enrolment, Participant, Placement
from ..errors import LaunchError
from ..i18n import SUPPORTED
from .claims import KEPT_CLAIMS, Claim, MessageType
from .models import Launch, UsedNonce
from .roles import Access, access_for

log = logging.getLogger(__name__)


def ui_locale(raw: Any) -> str:
    """Moodle sends codes like `es_mx` or `pt_br`, others BCP 47 (`fr-CA`); keep the language if we have it."""
    if not isinstance(raw, str) or not raw:
        return "en"
    language = raw.replace("-", "_").split("_", 1)[0].lower()
    return language if language in SUPPORTED else "en"


@dataclass(frozen=True)
class CourseFacts:
    context_id: str
    #: a launch without a context: the deployment row and resource link its course is made for
    link_deployment_id: int
    resource_link_id: str
    label: str
    title: str
    memberships_url: str | None
    lineitems_url: str | None
    ags_scopes: list[str] | None


@dataclass(frozen=True)
class PlacementFacts:
    resource_link_id: str
    title: str
    module_id: str | None
    country: str | None
    lineitem_url: str | None


@dataclass(frozen=True)
class PersonFacts:
    sub: str
    name: str
    email: str
    #: the LMS profile country for this course's enrolment, when the launch says something about it
    profile_country_given: bool
    profile_country: str | None
    #: the LMS's agency for this course's enrolment, when it sent one
    agency: str | None


@dataclass(frozen=True)
class LaunchFacts:
    """Everything a validated launch will write, worked out before the first write."""

    launch_id: str
    platform_id: int
    deployment_id: int
    message_type: str
    access: Access
    locale: str
    nonce: str
    nonce_expires_at: datetime
    #: None: a deep linking request without a context belongs to no course
    course: CourseFacts | None
    person: PersonFacts
    placement: PlacementFacts | None
    kept_claims: dict[str, Any]
    #: custom parameters that were ignored, for the log
    problems: tuple[str, ...]
    now: datetime
    expires_at: datetime

    @classmethod
    def from_claims(cls, claims: dict[str, Any], *, platform_id: int, deployment_id: int, settings: Settings,
                    now: datetime, launch_id: str | None = None) -> "LaunchFacts":
        """The rows a validated launch asks for (claims as PyJWT and our checks passed them)."""
        context = _dict(claims.get(Claim.CONTEXT))
        nrps, ags = _dict(claims.get(Claim.NRPS)), _dict(claims.get(Claim.AGS))
        custom = _dict(claims.get(Claim.CUSTOM))
        link = _dict(claims.get(Claim.RESOURCE_LINK))
        is_link = claims.get(Claim.MESSAGE_TYPE) == MessageType.RESOURCE_LINK
        link_id = str(link.get("id"))[:255] if is_link else ""
        problems: list[str] = []

        context_id = _text(context.get("id"), 255)
        course = None
        if context_id or is_link:
            course = CourseFacts(
                context_id=context_id,
                link_deployment_id=0 if context_id else deployment_id,
                resource_link_id="" if context_id else link_id,
                label=_text(context.get("label"), 255),
                title=_text(context.get("title"), 512) or ("" if context_id else _text(link.get("title"), 512)),
                memberships_url=nrps.get("context_memberships_url") or None,
                lineitems_url=ags.get("lineitems") or None,
                ags_scopes=[s for s in ags["scope"] if isinstance(s, str)] if isinstance(ags.get("scope"), list)
                else None,
            )

        profile_country, problem = custom_country(custom, "person_country")
        if problem:
            problems.append(problem)
        agency = substituted(custom.get("agency"))
        person = PersonFacts(
            sub=claims["sub"],
            name=_text(claims.get("name"), 255) or " ".join(
                p for p in (_text(claims.get("given_name"), 120), _text(claims.get("family_name"), 120)) if p),
            email=_text(claims.get("email"), 320),
            # a valid code, or Moodle's empty substitution: the profile has no country (any more)
            profile_country_given=bool(profile_country) or custom.get("person_country") == "",
            profile_country=profile_country,
            agency=agency[:255] if agency else None,
        )

        placement = None
        if is_link:
            module = custom.get("module")
            activity_country, problem = custom_country(custom, "country")
            if problem:
                problems.append(f"resource link {link_id}: {problem}")
            placement = PlacementFacts(
                resource_link_id=link_id, title=_text(link.get("title"), 512),
                module_id=module.strip().lower()[:32] if isinstance(module, str) and module.strip() else None,
                country=activity_country, lineitem_url=ags.get("lineitem") or None,
            )

        presentation = _dict(claims.get(Claim.LAUNCH_PRESENTATION))
        return cls(
            launch_id=launch_id or secrets.token_hex(16), platform_id=platform_id, deployment_id=deployment_id,
            message_type=claims[Claim.MESSAGE_TYPE], access=access_for(claims.get(Claim.ROLES) or []),
            locale=ui_locale(presentation.get("locale")), nonce=claims["nonce"],
            nonce_expires_at=datetime.fromtimestamp(int(claims["exp"]), timezone.utc)
            + timedelta(seconds=settings.clock_leeway),
            course=course, person=person, placement=placement,
            kept_claims={str(k): claims[k] for k in KEPT_CLAIMS if k in claims}, problems=tuple(problems),
            now=now, expires_at=now + timedelta(seconds=settings.launch_ttl),
        )


@dataclass(frozen=True)
class RecordedLaunch:
    """What writing the launch's rows gave back: its id, and what the rows say about the person's
    country (read by the same statements' RETURNING, so choosing where the launch lands costs no query)."""

    launch_id: str
    #: the person was asked for their country before (they answered it, or chose not to)
    country_asked: bool
    chosen_country: str | None
    #: the LMS profile country this course's launches gave (enrolment), None when none did
    profile_country: str | None
    #: the activity (resource link) the launch came through, when it has one
    placement_id: int | None = None


def write_launch(session: Session, facts: LaunchFacts) -> RecordedLaunch:
    """Write the launch's rows in the session's transaction (the request's hook commits).

    The used nonce goes first: its unique index turns a replayed id_token into a refusal before
    anything else is written.
    """
    dialect = session.get_bind().dialect.name
    for problem in facts.problems:
        log.warning("launch from platform %s: %s", facts.platform_id, problem)
    recorded = session.execute(_insert_new(dialect, UsedNonce.__table__), {
        "platform_id": facts.platform_id, "nonce": facts.nonce, "expires_at": facts.nonce_expires_at}).first()
    if recorded is None:
        raise LaunchError("This launch was already used (its nonce was seen before). Launch again from the LMS.")

    now, person = facts.now, facts.person
    participant_id, asked_at, chosen_country = _upsert(session, dialect, Participant, {
        "platform_id": facts.platform_id, "sub": person.sub, "name": person.name, "email": person.email,
        "created_at": now, "last_seen_at": now,
    }, ("platform_id", "sub"), ("name", "email", "last_seen_at"), ("id", "country_asked_at", "chosen_country"))

    course_id = placement_id = profile_country = None
    if facts.course is not None:
        course = facts.course
        (course_id,) = _upsert(session, dialect, Course, {
            "platform_id": facts.platform_id, "deployment_id": facts.deployment_id, "context_id": course.context_id,
            "link_deployment_id": course.link_deployment_id, "resource_link_id": course.resource_link_id,
            "label": course.label, "title": course.title, "memberships_url": course.memberships_url,
            "lineitems_url": course.lineitems_url, "ags_scopes": course.ags_scopes, "created_at": now,
            "updated_at": now,
        }, ("platform_id", "context_id", "link_deployment_id", "resource_link_id"),
            ("label", "title", "memberships_url", "lineitems_url", "ags_scopes", "updated_at"))
        enrolment: dict[str, Any] = {"course_id": course_id, "participant_id": participant_id,
                                     "role": facts.access.label, "last_launch_at": now}
        if person.profile_country_given:
            enrolment["profile_country"] = person.profile_country
        if person.agency:
            enrolment["agency"] = person.agency
        (profile_country,) = _upsert(session, dialect, Enrolment, enrolment, ("course_id", "participant_id"),
                                     tuple(k for k in enrolment if k not in ("course_id", "participant_id")),
                                     ("profile_country",))
        if facts.placement is not None:
            placement = facts.placement
            # keep a line item we found or created ourselves when the launch names none
            updates = ("title", "module_id", "country", "updated_at") + (
                ("lineitem_url",) if placement.lineitem_url else ())
            (placement_id,) = _upsert(session, dialect, Placement, {
                "course_id": course_id, "resource_link_id": placement.resource_link_id, "title": placement.title,
                "module_id": placement.module_id, "country": placement.country,
                "lineitem_url": placement.lineitem_url, "created_at": now, "updated_at": now,
            }, ("course_id", "resource_link_id"), updates)

    session.execute(_insert(dialect, Launch.__table__), {
        "id": facts.launch_id, "platform_id": facts.platform_id, "deployment_id": facts.deployment_id,
        "course_id": course_id, "placement_id": placement_id, "participant_id": participant_id,
        "message_type": facts.message_type, "role": facts.access.label, "locale": facts.locale,
        "claims": facts.kept_claims, "created_at": now, "expires_at": facts.expires_at,
    })
    log.info("launch %s accepted: platform %s course %s placement %s participant %s as %s",
             facts.launch_id, facts.platform_id, course_id, placement_id, participant_id, facts.access.label)
    return RecordedLaunch(facts.launch_id, country_asked=asked_at is not None, chosen_country=chosen_country,
                          profile_country=profile_country, placement_id=placement_id)


def _upsert(session: Session, dialect: str, model: Any, values: dict[str, Any], key: tuple[str, ...],
            update: tuple[str, ...], returning: tuple[str, ...] = ("id",)) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE SET update … RETURNING returning: the row, new or existing."""
    return session.execute(_upsert_statement(dialect, model.__table__, key, update, returning), values).one()


_INSERTS = {"postgresql": pg_insert, "sqlite": sqlite_insert}


@functools.cache
def _insert(dialect: str, table: Table) -> Executable:
    return _INSERTS[dialect](table)


@functools.cache
def _insert_new(dialect: str, table: Table) -> Executable:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: no row back when the row exists."""
    return _INSERTS[dialect](table).on_conflict_do_nothing().returning(table.c.id)


@functools.cache
def _upsert_statement(dialect: str, table: Table, key: tuple[str, ...], update: tuple[str, ...],
                      returning: tuple[str, ...]) -> Executable:
    statement = _INSERTS[dialect](table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in update})
    return statement.returning(*(table.c[name] for name in returning))


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
