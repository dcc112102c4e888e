"""Give a learner of this course more quiz attempts from the facilitator pages, with the reason kept.

The rule itself (what a grant adds, when it is refused) is `progress.services.grant_attempts`,
shared with `emm-lti attempts grant|reset`; this only checks the course and names the facilitator.
"""
from __future__ import annotations

import logging
from typing import Any

from ..courses.models import Course, Participant
from ..errors import NotFound
from ..progress import services as progress
from ..progress.models import AttemptGrant

log = logging.getLogger(__name__)


def grant_in_course(course: Course, participant_id: int, module_id: str, *, kind: str, reason: str,
                    facilitator: Participant | None, catalogue: Any) -> AttemptGrant:
    """One more attempt (`extra`) or a reset, for a learner of `course`; NotFound for anyone else's."""
    module = catalogue.get(module_id)
    if module is None:
        raise NotFound(f"There is no module {module_id!r} in this curriculum.")
    mine = progress.learner_progress(course.id, participant_id, module)
    by_name = (facilitator.name or f"user {facilitator.sub}") if facilitator is not None else ""
    grant = progress.grant_attempts(mine, module, kind=kind, reason=reason, by_name=by_name,
                                    by_id=facilitator.id if facilitator is not None else None)
    log.info("course %s: %s attempt grant for participant %s in %s", course.id, kind, participant_id, module_id)
    return grant
