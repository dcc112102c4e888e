"""Which placement of a course stands for a module: the one whose grade column and country count.

A module can be reached from another module's pages (m01 ends with a link to m02), so the
activity a learner was launched from is not always the module's own. The course's placement for a
module is, first that applies: the placement the attempt was taken in when it is bound to that
module; a placement some launch made (one with a grade column before one without, the oldest
first); a placement a Deep Linking reply made, whose activity has not been launched yet.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models_base import utcnow
from .models import DEEP_LINK_PREFIX, Placement

log = logging.getLogger(__name__)


def module_placement(course_id: int, module_id: str, preferred: Placement | None = None) -> Placement | None:
    """The course's placement for the module (see the module docstring), or None when it has none."""
    if preferred is not None and preferred.course_id == course_id and preferred.module_id == module_id:
        return preferred
    return db.session.scalar(
        select(Placement)
        .where(Placement.course_id == course_id, Placement.module_id == module_id)
        .order_by(case((Placement.resource_link_id.startswith(DEEP_LINK_PREFIX), 1), else_=0),
                  case((Placement.lineitem_url.is_(None), 1), else_=0), Placement.id)
        .limit(1))


def record_deep_link(course_id: int, modules: Iterable[Any], *, country: str | None, lang: str) -> list[Placement]:
    """Remember the modules a facilitator placed by Deep Linking, with their activity country.

    The LMS makes one activity (and grade column) per module from the reply; until that activity's
    first launch tells us its resource link, this row stands for it. Placing a module again updates it.
    """
    placed = []
    for module in modules:
        link = DEEP_LINK_PREFIX + module.id
        values = {"title": module.title(lang).text[:512], "module_id": module.id, "country": country,
                  "deep_linked_at": utcnow()}
        row = db.session.scalar(select(Placement).where(Placement.course_id == course_id,
                                                        Placement.resource_link_id == link))
        if row is None:
            try:
                with db.session.begin_nested():
                    row = Placement(course_id=course_id, resource_link_id=link, **values)
                    db.session.add(row)
            except IntegrityError:   # another request placed it at the same moment
                row = db.session.scalar(select(Placement).where(Placement.course_id == course_id,
                                                                Placement.resource_link_id == link))
        for name, value in values.items():
            setattr(row, name, value)
        placed.append(row)
    db.session.flush()
    log.info("deep linking placed %s in course %s", [p.module_id for p in placed], course_id)
    return placed


def activity_countries(course_ids: Any) -> dict[tuple[int, str], str]:
    """(course id, module id) -> the country set on the course's activity for the module: that of the
    placement `module_placement` would choose (launched with a grade column, launched, then placed by
    Deep Linking; the oldest first), when it has one. `course_ids`: ids, or a select of them."""
    chosen: dict[tuple[int, str], str | None] = {}
    for course_id, module_id, country in db.session.execute(
            select(Placement.course_id, Placement.module_id, Placement.country)
            .where(Placement.course_id.in_(course_ids), Placement.module_id.is_not(None))
            .order_by(case((Placement.resource_link_id.startswith(DEEP_LINK_PREFIX), 1), else_=0),
                      case((Placement.lineitem_url.is_(None), 1), else_=0), Placement.id)):
        chosen.setdefault((course_id, module_id), country)
    return {key: country for key, country in chosen.items() if country}
