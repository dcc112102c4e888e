"""Record what a validated launch tells us: course, placement, participant, enrolment, launch."""
from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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


def ui_locale(raw: Any) -> str:
    """Moodle sends codes like `es_mx` or `pt_br`, others BCP 47 (`fr-CA`); keep the language if we have it."""
    if not isinstance(raw, str) or not raw:
        return "en"
    language = raw.replace("-", "_").split("_", 1)[0].lower()
    return language if language in SUPPORTED_LOCALES else "en"


class _Prepared:
    """A Core statement compiled once for one dialect, run on a DBAPI connection from the app's pool.

    Through `Session.execute` each statement costs about 0.08 ms of Python (cache key, execution
    context, result wrapping), several times what SQLite needs to run it, and a launch runs six.
    The SQL still comes from SQLAlchemy's compiler for the dialect, and every parameter goes
    through its column type's own bind processor (UTCDateTime, JSON), so the rows are written
    exactly as `Session.execute` would write them.
    """

    def __init__(self, statement: Any, column_keys: tuple[str, ...], dialect: Any):
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys))
        self.sql = compiled.string
        self.positional = compiled.positional
        names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        unknown = set(names) - set(column_keys)
        if unknown:  # a bound value we would not fill in: refuse at first use, not write wrong rows
            raise RuntimeError(f"prepared statement has parameters {sorted(unknown)} not among its values")
        self.binds = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in names]

    def run(self, cursor: Any, values: dict[str, Any]) -> list[tuple]:
        if self.positional:
            params: Any = tuple(process(values[name]) if process else values[name] for name, process in self.binds)
        else:
            params = {name: process(values[name]) if process else values[name] for name, process in self.binds}
        cursor.execute(self.sql, params)
        # to the end: a statement that is not finished could keep SQLite's write from completing
        return cursor.fetchall() if cursor.description else []


_STATEMENTS: dict[tuple, _Prepared] = {}
#: on SQLite, launches of one process take turns here instead of in SQLite's busy handler, which
#: sleeps 1, 2, 5 … ms between tries; other processes still meet at SQLite's own write lock
_SQLITE_WRITES = threading.Lock()


class _Writer:
    """Prepared statements for one launch, on a pooled DBAPI connection of its own, in one transaction."""

    def __init__(self) -> None:
        engine = db.engine
        self.dialect = engine.dialect
        self.connection = engine.raw_connection()  # from the pool: the app's pragmas and settings apply
        self.cursor = self.connection.cursor()
        self._lock = _SQLITE_WRITES if self.dialect.name == "sqlite" else None
        if self._lock is not None:
            self._lock.acquire()

    def _prepared(self, shape: tuple, build: Any, keys: tuple[str, ...]) -> _Prepared:
        key = (self.dialect.name, shape, keys)
        prepared = _STATEMENTS.get(key)
        if prepared is None:
            prepared = _STATEMENTS[key] = _Prepared(build(), keys, self.dialect)
        return prepared

    def insert(self, model: Any, values: dict[str, Any]) -> None:
        keys = tuple(sorted(values))
        self._prepared((model, "insert"), lambda: model.__table__.insert(), keys).run(self.cursor, values)

    def upsert(self, model: Any, values: dict[str, Any], key: tuple[str, ...], update: tuple[str, ...]) -> int:
        """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING id, in one statement on SQLite and PostgreSQL.

        Two concurrent first launches of the same person cannot collide, and no row is read first.
        """
        def build() -> Any:
            table = model.__table__
            insert = (pg_insert if self.dialect.name == "postgresql" else sqlite_insert)(table)
            return insert.on_conflict_do_update(
                index_elements=[table.c[k] for k in key],
                set_={name: insert.excluded[name] for name in update},
            ).returning(table.c.id)

        keys = tuple(sorted(values))
        return self._prepared((model, "upsert", key, update), build, keys).run(self.cursor, values)[0][0]

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        try:
            self.connection.rollback()
        except Exception:  # the connection is gone; the error that brought us here matters more
            log.warning("rollback of a launch's writes failed", exc_info=True)

    def release(self) -> None:
        try:
            self.cursor.close()
            self.connection.close()  # back to the pool
        finally:
            if self._lock is not None:
                self._lock.release()


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def record_launch(claims: dict[str, Any], platform_id: int, deployment_id: int, settings: Settings) -> str:
    """Write the launch's rows, commit them and return the launch id.

    Six statements, no reads, in a transaction of their own: upserts keep the most recent values
    from the LMS, and a unique index on the nonce turns a replayed launch into a clear refusal.
    Every value is worked out before the first write, so SQLite's single writer lock is held for
    the six statements and the commit only. The transaction is not the request's session's: call
    this before the session writes anything that these rows would wait for.
    """
    now = utcnow()
    nonce_expiry = datetime.fromtimestamp(int(claims["exp"]), timezone.utc) + timedelta(
        seconds=settings.clock_leeway
    )
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
    course_updates = ("label", "title", "memberships_url", "lineitems_url", "ags_scopes", "updated_at")

    name = _text(claims.get("name"), 255) or " ".join(
        p for p in (_text(claims.get("given_name"), 120), _text(claims.get("family_name"), 120)) if p
    )
    participant_values: dict[str, Any] = {"platform_id": platform_id, "sub": claims["sub"], "name": name,
                                          "email": _text(claims.get("email"), 320), "created_at": now,
                                          "last_seen_at": now}
    participant_updates = ["name", "email", "last_seen_at"]
    profile_country, problem = custom_country(custom, "person_country")
    if problem:
        log.warning("launch from platform %s: %s", platform_id, problem)
    if profile_country or custom.get("person_country") == "":
        # a valid code, or Moodle's empty substitution: the profile has no country (any more)
        participant_values["profile_country"] = profile_country
        participant_updates.append("profile_country")
    agency = substituted(custom.get("agency"))
    if agency:
        participant_values["agency"] = agency[:255]
        participant_updates.append("agency")

    placement_values: dict[str, Any] | None = None
    placement_updates = ["title", "module_id", "country", "updated_at"]
    if claims.get(Claim.MESSAGE_TYPE) == MessageType.RESOURCE_LINK:
        link = claims[Claim.RESOURCE_LINK]
        module = custom.get("module")
        activity_country, problem = custom_country(custom, "country")
        if problem:
            log.warning("resource link %s: %s", link.get("id"), problem)
        placement_values = {
            "resource_link_id": str(link["id"])[:255],
            "title": _text(link.get("title"), 512),
            "module_id": module.strip().lower()[:32] if isinstance(module, str) and module.strip() else None,
            "country": activity_country, "lineitem_url": ags.get("lineitem") or None,
            "created_at": now, "updated_at": now,
        }
        if placement_values["lineitem_url"]:
            placement_updates.append("lineitem_url")  # keep a line item we found or created ourselves

    presentation = _dict(claims.get(Claim.LAUNCH_PRESENTATION))
    launch_id = secrets.token_hex(16)
    launch_values = dict(
        id=launch_id, platform_id=platform_id, deployment_id=deployment_id,
        message_type=claims[Claim.MESSAGE_TYPE], role=access.label, locale=ui_locale(presentation.get("locale")),
        claims={str(k): claims[k] for k in KEPT_CLAIMS if k in claims}, created_at=now,
        expires_at=now + timedelta(seconds=settings.launch_ttl),
    )

    writer = _Writer()
    try:
        try:
            writer.insert(UsedNonce, {"platform_id": platform_id, "nonce": claims["nonce"],
                                      "expires_at": nonce_expiry})
        except writer.dialect.loaded_dbapi.IntegrityError:
            raise LaunchError(
                "This launch was already used (its nonce was seen before). Launch again from the LMS.") from None
        course_id = writer.upsert(Course, course_values, ("platform_id", "context_id"), course_updates)
        participant_id = writer.upsert(Participant, participant_values, ("platform_id", "sub"),
                                       tuple(participant_updates))
        writer.upsert(Enrolment, {"course_id": course_id, "participant_id": participant_id,
                                  "role": access.label, "last_launch_at": now},
                      ("course_id", "participant_id"), ("role", "last_launch_at"))
        placement_id = None
        if placement_values is not None:
            placement_values["course_id"] = course_id
            placement_id = writer.upsert(Placement, placement_values, ("course_id", "resource_link_id"),
                                         tuple(placement_updates))
        launch_values.update(course_id=course_id, placement_id=placement_id, participant_id=participant_id)
        writer.insert(Launch, launch_values)
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    finally:
        writer.release()
    log.info("launch %s accepted: platform %s course %s placement %s participant %s as %s",
             launch_id, platform_id, course_id, placement_id, participant_id, access.label)
    return launch_id


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
