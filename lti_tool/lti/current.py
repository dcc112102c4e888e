"""The launch behind the current request, and the decorator that checks its role."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, g
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.orm import joinedload

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


def load_launch(ref: str) -> CurrentLaunch:
    """Resolve a reference to its Launch row; LaunchExpired when forged, unknown or too old."""
    launch_id = runtime().refs.resolve(ref)
    # every page reads who launched and from which placement: one query, not three
    launch = db.session.get(Launch, launch_id, options=(joinedload(Launch.participant), joinedload(Launch.placement)))
    if launch is None or launch.expires_at <= utcnow():
        raise LaunchExpired(_("This session has ended. Open the activity again from your LMS."))
    return CurrentLaunch(launch=launch, ref=ref, access=Access[launch.role.upper()])


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
                raise Forbidden(_("This page is only for %(who)s. Your LMS launched you as: %(role)s.",
                                  who=_PAGE_FOR[access], role=_ROLE[launch.access]))
            return view(*args, **kwargs)

        return wrapper

    return decorator
