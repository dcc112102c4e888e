"""Which line item a score goes to: its placement's, or the course's line item for the module.

First that applies: the placement's line item (from its launch, or found or created before); the
course's line item whose `resourceId` is the module id, found through the AGS line items service;
a new one, when the LMS lets the tool manage columns and a launch placed the module. With none of
these, the score waits (NoColumn) until a launch or a deep link gives the module a placement.
"""
from __future__ import annotations

import logging
from typing import Any

from ..courses.models import Course, Placement
from ..extensions import db
from ..lms.client import PlatformClient
from ..lms.errors import ForbiddenUrl, PlatformUnavailable
from ..lti.claims import AgsScope
from .services import NO_COLUMN_REASON

log = logging.getLogger(__name__)

#: tag on every line item we create, so reports can find the curriculum's columns
LINEITEM_TAG = "emm2"
SCORE_MAXIMUM = 100

#: tries to find the column of an activity added by deep linking before the score waits for a launch
#: (the LMS makes the activity when the facilitator saves it, which may be a while after the reply)
DEEP_LINK_TRIES = 6


class NoColumn(Exception):
    """The course has no grade column for the module (yet); `reason` is safe to show to a facilitator."""

    def __init__(self, reason: str = NO_COLUMN_REASON):
        super().__init__(reason)
        self.reason = reason


def _module_items(client: PlatformClient, course: Course, module_id: str, scopes: tuple[str, ...],
                  **filters: str) -> list[dict[str, Any]]:
    """The course's line items for the module; one whose id is not on the platform's hosts is never used."""
    items = client.line_items(course.lineitems_url or "", scopes, resource_id=module_id, **filters)
    usable = []
    for item in items:
        if item.get("resourceId") != module_id or not item.get("id"):
            continue
        try:
            item["id"] = client.policy.check(item["id"], "the grade column the LMS named")
        except ForbiddenUrl as exc:
            log.warning("course %s: ignoring a line item of %s: %s", course.id, module_id, exc.reason)
            continue
        usable.append(item)
    return usable


def resolve_lineitem(client: PlatformClient, course: Course, module_id: str, placement: Placement | None,
                     scopes: tuple[str, ...], *, known: str | None = None, tries: int = 0) -> str:
    """The line item URL for a score of `module_id` in `course`; NoColumn when there is none to use.

    A line item found or created for a placement is kept on it (committed at once: the worker holds
    no transaction while the LMS answers); one found without a placement is returned for the caller
    to keep on its delivery (`known` next time).
    """
    # a line item the launch named on a host that is not the platform's is ignored (with a warning)
    if placement is not None and placement.lineitem_url:
        try:
            return client.policy.check(placement.lineitem_url, "the activity's grade column")
        except ForbiddenUrl as exc:
            log.warning("placement %s: ignoring its line item: %s", placement.id, exc.reason)
    if placement is None and known:
        return known
    if not course.lineitems_url:
        raise NoColumn("no gradebook column in this course: the LMS gives the tool no Assignment and Grade Services")
    if placement is None:
        match = next(iter(_module_items(client, course, module_id, scopes)), None)
        if match is None:
            raise NoColumn()
        log.info("course %s: line item %s found for %s by resourceId", course.id, match["id"], module_id)
        return match["id"]
    if placement.from_deep_link:
        match = next(iter(_module_items(client, course, module_id, scopes)), None)
        if match is None:
            if tries + 1 < DEEP_LINK_TRIES:
                raise PlatformUnavailable("waiting for the LMS to create the grade column of the activity "
                                          "added by deep linking")
            raise NoColumn()
    else:
        link = placement.resource_link_id
        match = next((i for i in _module_items(client, course, module_id, scopes, resource_link_id=link)
                      if i.get("resourceLinkId", link) == link), None)
        if match is None:
            if AgsScope.LINEITEM not in scopes:
                raise NoColumn("no gradebook column in this course: the activity has none and the LMS does not "
                               "let the tool create one")
            match = client.create_line_item(course.lineitems_url, {
                "label": placement.title or module_id, "scoreMaximum": SCORE_MAXIMUM, "resourceId": module_id,
                "resourceLinkId": link, "tag": LINEITEM_TAG,
            }, scopes)
            log.info("created line item %s for placement %s", match.get("id"), placement.id)
            match["id"] = client.policy.check(match.get("id"), "the grade column the LMS created")
    placement.lineitem_url = match["id"]
    db.session.commit()
    return placement.lineitem_url
