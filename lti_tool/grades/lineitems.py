"""Which grade column a placement's scores go to: the launch's line item, or one we find or create."""
from __future__ import annotations

import logging

from ..courses.models import Course, Placement
from ..extensions import db
from ..facilitator.deep_linking import LINEITEM_TAG, SCORE_MAXIMUM
from ..lti.claims import AgsScope
from ..platform_client import PlatformClient, PlatformRejected

log = logging.getLogger(__name__)


def resolve_lineitem(client: PlatformClient, placement: Placement, course: Course, scopes: tuple[str, ...]) -> str:
    """The line item URL; found by resourceId/resource_link_id or created when the LMS allows it."""
    if placement.lineitem_url:
        return placement.lineitem_url
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
    placement.lineitem_url = match["id"]
    db.session.commit()
    return placement.lineitem_url
