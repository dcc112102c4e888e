"""The course roster from the LMS (Names and Role Provisioning), cached for a few minutes.

Facilitators need to see who has not started yet: those people never launched the tool, so only
the LMS knows them. Pages come from `Link: <…>; rel="next"`; the roster lives in the state store
(file or Redis) for EMM_ROSTER_TTL seconds so a dashboard refresh does not call the LMS each time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..attribution import custom_country, substituted
from ..lms.client import PlatformClient
from ..lms.errors import ForbiddenUrl, PlatformError
from ..lms.hosts import HostPolicy
from ..lms.tokens import TokenSource
from ..lti.claims import NRPS_SCOPE, Claim
from ..lti.roles import Access, access_for
from ..platforms.models import Platform
from ..extensions import db
from ..runtime import runtime
from .models import Course

log = logging.getLogger(__name__)

CUSTOM_CLAIM = Claim.CUSTOM


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    access: Access
    active: bool
    #: the person's country and agency where the LMS puts custom parameters in a member's `message`
    #: section (NRPS 2.0); Moodle's roster carries none, so these stay None there
    country: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class Roster:
    members: list[Member]
    #: why the roster is missing or partial, to show the facilitator; None when complete
    problem: Any = None


def _custom_of(raw: dict) -> dict:
    """The custom parameters an LMS put in a member's `message` (NRPS 2.0, section 3.6), if any."""
    messages = raw.get("message")
    for message in messages if isinstance(messages, list) else []:
        custom = message.get(CUSTOM_CLAIM) if isinstance(message, dict) else None
        if isinstance(custom, dict):
            return custom
    return {}


def _person_fields(raw: dict) -> tuple[str | None, str | None]:
    custom = _custom_of(raw)
    country, _problem = custom_country(custom, "person_country")
    agency = substituted(custom.get("agency"))
    return country, agency[:255] if agency else None


def course_roster(course: Course) -> Roster:
    """Members of the course as the LMS lists them; an empty roster with a reason when it cannot."""
    if not course.memberships_url:
        return Roster([], _l("The LMS does not share this course's roster (Names and Role Provisioning is off), "
                              "so people who have not opened an activity yet are not listed."))
    rt = runtime()
    key = f"roster:{course.id}"
    cached = rt.state_store.get(key)
    if cached is not None:
        return Roster([Member(m["user_id"], m["name"], m["email"], Access(m["access"]), m["active"],
                              m.get("country"), m.get("agency")) for m in cached["members"]])
    policy = HostPolicy.for_platform(db.session.get(Platform, course.platform_id))
    try:
        policy.check(course.memberships_url, "the course roster")
    except ForbiddenUrl as exc:  # never fetched, never sent a token
        log.warning("course %s: ignoring its roster URL: %s", course.id, exc.reason)
        return Roster([], _l("The LMS named a roster address outside its registered hosts, so the tool did not "
                             "read it. An administrator can allow that host (emm-lti platform edit --service-host)."))
    client = PlatformClient(policy, TokenSource(current_app._get_current_object(), course.platform_id))
    members: list[Member] = []
    try:
        for raw in client.memberships(course.memberships_url, (NRPS_SCOPE,)):
            user_id = str(raw.get("user_id") or "")
            if not user_id:
                continue
            name = raw.get("name") or " ".join(p for p in (raw.get("given_name"), raw.get("family_name")) if p)
            country, agency = _person_fields(raw)
            members.append(Member(user_id, str(name or ""), str(raw.get("email") or ""),
                                  access_for(raw.get("roles") or []),
                                  str(raw.get("status", "Active")).lower() == "active", country, agency))
    except PlatformError as exc:
        log.warning("roster of course %s: %s", course.id, exc.reason)
        return Roster(members, _("The LMS roster could not be read: %(reason)s", reason=exc.reason))
    rt.state_store.put(key, {"members": [{"user_id": m.user_id, "name": m.name, "email": m.email,
                                          "access": int(m.access), "active": m.active, "country": m.country,
                                          "agency": m.agency} for m in members]},
                       rt.settings.roster_ttl)
    return Roster(members)
