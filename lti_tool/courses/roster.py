"""The course roster from the LMS (Names and Role Provisioning), cached for a few minutes.

Facilitators need to see who has not started yet: those people never launched the tool, so only
the LMS knows them. Pages come from `Link: <…>; rel="next"`; the roster lives in the state store
(file or Redis) for EMM_ROSTER_TTL seconds so a dashboard refresh does not call the LMS each time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from ..lms.client import PlatformClient
from ..lms.errors import ForbiddenUrl, PlatformError
from ..lms.hosts import HostPolicy
from ..lms.tokens import TokenSource
from ..lti.claims import NRPS_SCOPE
from ..lti.roles import Access, access_for
from ..platforms.models import Platform
from ..extensions import db
from ..runtime import runtime
from .models import Course

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    access: Access
    active: bool


@dataclass(frozen=True)
class Roster:
    members: list[Member]
    #: why the roster is missing or partial, to show the facilitator; None when complete
    problem: str | None = None


def course_roster(course: Course) -> Roster:
    """Members of the course as the LMS lists them; an empty roster with a reason when it cannot."""
    if not course.memberships_url:
        return Roster([], "The LMS does not share this course's roster (Names and Role Provisioning is off).")
    rt = runtime()
    key = f"roster:{course.id}"
    cached = rt.state_store.get(key)
    if cached is not None:
        return Roster([Member(m["user_id"], m["name"], m["email"], Access(m["access"]), m["active"])
                       for m in cached["members"]])
    policy = HostPolicy.for_platform(db.session.get(Platform, course.platform_id))
    try:
        policy.check(course.memberships_url, "the course roster")
    except ForbiddenUrl as exc:  # never fetched, never sent a token
        log.warning("course %s: ignoring its roster URL: %s", course.id, exc.reason)
        return Roster([], "The LMS named a roster address outside its registered hosts, so the tool did not "
                          "read it. An administrator can allow that host (`emm-lti platform edit --service-host`).")
    client = PlatformClient(policy, TokenSource(current_app._get_current_object(), course.platform_id))
    members: list[Member] = []
    try:
        for raw in client.memberships(course.memberships_url, (NRPS_SCOPE,)):
            user_id = str(raw.get("user_id") or "")
            if not user_id:
                continue
            name = raw.get("name") or " ".join(p for p in (raw.get("given_name"), raw.get("family_name")) if p)
            members.append(Member(user_id, str(name or ""), str(raw.get("email") or ""),
                                  access_for(raw.get("roles") or []),
                                  str(raw.get("status", "Active")).lower() == "active"))
    except PlatformError as exc:
        log.warning("roster of course %s: %s", course.id, exc.reason)
        return Roster(members, f"The LMS roster could not be read: {exc.reason}")
    rt.state_store.put(key, {"members": [{"user_id": m.user_id, "name": m.name, "email": m.email,
                                          "access": int(m.access), "active": m.active} for m in members]},
                       rt.settings.roster_ttl)
    return Roster(members)
