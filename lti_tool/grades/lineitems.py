"""Which grade column a placement's scores go to: the launch's line item, or one we find or create."""
from __future__ import annotations

import logging

from ..courses.models import Course, Placement
from ..extensions import db
from ..lms.client import PlatformClient
from ..lms.errors import ForbiddenUrl, PlatformRejected
from ..lti.claims import AgsScope

log = logging.getLogger(__name__)

#: tag on every line item we create, so reports can find the curriculum's columns
LINEITEM_TAG = "emm2"
SCORE_MAXIMUM = 100


def resolve_lineitem(client: PlatformClient, placement: Placement, course: Course, scopes: tuple[str, ...]) -> str:
    """The line item URL; found by resourceId/resource_link_id or created when the LMS allows it.

    A line item the launch named on a host that is not the platform's is ignored (with a warning)
    and never called; so is one the LMS's own answer names there.
    """
    if placement.lineitem_url:
        try:
            return client.policy.check(placement.lineitem_url, "the activity's grade column")
        except ForbiddenUrl as exc:
            log.warning("placement %s: ignoring its line item: %s", placement.id, exc.reason)
    if not course.lineitems_url:
        raise PlatformRejected("the LMS gives this activity no grade column (Assignment and Grade Services are off)")
    module_id = placement.module_id or ""
    items = client.line_items(course.lineitems_url, scopes, resource_link_id=placement.resource_link_id)
    match = next((i for i in items if i.get("resourceId") == module_id
                  and i.get("resourceLinkId", placement.resource_link_id) == placement.resource_link_id), None)
    if match is None:
        if AgsScope.LINEITEM not in scopes:
            raise PlatformRejected("the activity has no grade column and the LMS does not let the tool create one")
        match = client.create_line_item(course.lineitems_url, {
            "label": placement.title or module_id, "scoreMaximum": SCORE_MAXIMUM, "resourceId": module_id,
            "resourceLinkId": placement.resource_link_id, "tag": LINEITEM_TAG,
        }, scopes)
        log.info("created line item %s for placement %s", match.get("id"), placement.id)
    placement.lineitem_url = client.policy.check(match.get("id"), "the grade column the LMS named")
    db.session.commit()
    return placement.lineitem_url
