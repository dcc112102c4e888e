"""The launch behind the current request, and the decorator that checks its role."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from flask import Blueprint, g
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..courses.models import Enrolment
from ..errors import Forbidden, LaunchExpired
from ..extensions import db
from ..models_base import utcnow
from ..runtime import runtime
from .models import Launch
from .roles import Access


@dataclass(frozen=True)
class CurrentLaunch:
    """A typed view of the launch the request's reference points to."""

    launch: Launch
    ref: str
    #: what this request may do: the launch's role, lowered to the person's newest role in the course
    access: Access

    @property
    def locale(self) -> str:
        participant = self.launch.participant
        return (participant.chosen_locale if participant and participant.chosen_locale else None) or self.launch.locale

    @property
    def is_deep_link(self) -> bool:
        return self.launch.message_type == "LtiDeepLinkingRequest"


#: who may open a page that needs this access, and what each role is called, for the refusal
_PAGE_FOR = {Access.LEARNER: _l("participants"), Access.FACILITATOR: _l("facilitators and administrators"),
             Access.ADMIN: _l("administrators")}
_ROLE = {Access.LEARNER: _l("learner"), Access.FACILITATOR: _l("facilitator"), Access.ADMIN: _l("administrator")}


#: built once: the statement (and its cache key) are the same for every request
_LAUNCH_WITH_RELATIONS = (select(Launch)
                          .options(joinedload(Launch.participant), joinedload(Launch.course),
                                   joinedload(Launch.placement))
                          .where(Launch.id == bindparam("launch_id")))


def load_launch(ref: str) -> CurrentLaunch:
    """Resolve a reference to its Launch row; LaunchExpired when forged, unknown or too old."""
    launch_id = runtime().refs.resolve(ref)
    # every page reads who launched, in which course and from which placement: one query, not four
    launch = db.session.execute(_LAUNCH_WITH_RELATIONS, {"launch_id": launch_id}).unique().scalar_one_or_none()
    if launch is None or launch.expires_at <= utcnow():
        raise LaunchExpired(_("This session has ended. Open the activity again from your LMS."))
    access = Access[launch.role.upper()]
    if access > Access.LEARNER and launch.course_id is not None and launch.participant_id is not None:
        # a later launch in this course (as a learner, say) is the LMS's newest word on the person's role
        newest = db.session.scalar(select(Enrolment.role).where(
            Enrolment.course_id == launch.course_id, Enrolment.participant_id == launch.participant_id))
        if newest is not None and newest.upper() in Access.__members__:
            access = min(access, Access[newest.upper()])
    return CurrentLaunch(launch=launch, ref=ref, access=access)


def current() -> CurrentLaunch:
    launch = g.get("launch")
    if launch is None:
        raise LaunchExpired(_("Open this activity from your LMS: this page needs a launch."))
    return launch


def scope_to_launch(blueprint: Blueprint) -> None:
    """Every route of the blueprint lives under /l/<ref>/…; the ref is checked and put on g."""

    @blueprint.url_value_preprocessor
    def _pull_ref(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None and "ref" in values:
            g.launch = load_launch(values.pop("ref"))

    @blueprint.url_defaults
    def _add_ref(endpoint: str, values: dict[str, Any]) -> None:
        if "ref" not in values and g.get("launch") is not None:
            values["ref"] = g.launch.ref


def launch_required(access: Access = Access.LEARNER) -> Callable:
    """Reject the request unless its launch grants at least `access`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            launch = current()
            if launch.access < access:
                if Access[launch.launch.role.upper()] >= access:
                    raise Forbidden(_("Your role in this course has changed since this page was opened. "
                                      "Open the activity again from your LMS."))
                raise Forbidden(_("This page is only for %(who)s. Your LMS launched you as: %(role)s.",
                                  who=_PAGE_FOR[access], role=_ROLE[launch.access]))
            if access > Access.LEARNER:
                staff_ttl = runtime().settings.staff_ttl
                if (launch.launch.created_at + timedelta(seconds=staff_ttl) <= utcnow()
                        and not _roster_confirms(launch, access)):
                    # staff pages show names and emails: they need a launch the LMS made recently, or the
                    # LMS's roster (read at most EMM_ROSTER_TTL ago) still naming the person staff here
                    raise LaunchExpired(_("Staff pages need a recent launch (within %(minutes)s minutes), so "
                                          "that a changed role counts. Open the activity again from your LMS.",
                                          minutes=max(1, staff_ttl // 60)))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _roster_confirms(launch: CurrentLaunch, access: Access) -> bool:
    """Whether the course's roster from the LMS still lists the person, active, with at least `access`.

    A facilitator running an hour-long session keeps the live panel without relaunching every
    EMM_STAFF_TTL, as long as the LMS says they still teach the course; a roster that cannot be
    read confirms nothing.
    """
    row = launch.launch
    if row.course is None or row.participant is None or not row.course.memberships_url:
        return False
    from ..courses.roster import course_roster

    roster = course_roster(row.course)
    if roster.problem:
        return False
    return any(m.user_id == row.participant.sub and m.active and m.access >= access for m in roster.members)
