"""Moodle's score rules (mod/lti/service/gradebookservices), as plain functions a test can call."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .state import LineItem, ScoreRecord

ACTIVITY_PROGRESS = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING_PROGRESS = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})


class ScoreRejected(Exception):
    """A score Moodle would refuse: 400 for a malformed score or a non-learner, 409 for a stale timestamp."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 with a zone (a naive one is read as UTC); anything else is a 400."""
    if not isinstance(value, str) or not value:
        raise ScoreRejected(400, "Incorrect score received: timestamp is required (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ScoreRejected(400, f"Incorrect score received: timestamp {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScoreRejected(400, f"Incorrect score received: {name} must be a number")
    return float(value)


def apply_score(
    line_item: LineItem, body: Any, previous: ScoreRecord | None, *, is_learner: bool
) -> ScoreRecord:
    """Turn a posted score into the record Moodle would keep, or raise ScoreRejected."""
    if not isinstance(body, dict):
        raise ScoreRejected(400, "Incorrect score received: the body must be a JSON object")
    user_id = body.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise ScoreRejected(400, "Incorrect score received: userId is required")
    timestamp = parse_timestamp(body.get("timestamp"))
    activity, grading = body.get("activityProgress"), body.get("gradingProgress")
    if activity not in ACTIVITY_PROGRESS:
        raise ScoreRejected(400, f"Incorrect score received: activityProgress {activity!r} is not valid")
    if grading not in GRADING_PROGRESS:
        raise ScoreRejected(400, f"Incorrect score received: gradingProgress {grading!r} is not valid")
    if not is_learner:
        raise ScoreRejected(400, f"Incorrect score received: user {user_id!r} is not a learner in this course")
    # Moodle keeps whole seconds, so a retry within the same second is already applied.
    if previous is not None and int(timestamp.timestamp()) <= int(previous.timestamp.timestamp()):
        raise ScoreRejected(409, "the score's timestamp is not newer than the stored one")

    given, maximum = _number(body, "scoreGiven"), _number(body, "scoreMaximum")
    result: float | None = None
    if grading == "FullyGraded" and given is not None:
        if maximum is None or maximum <= 0:
            raise ScoreRejected(400, "Incorrect score received: scoreMaximum must be above 0 with scoreGiven")
        scaled = given / maximum * line_item.score_maximum
        result = round(min(max(scaled, 0.0), line_item.score_maximum), 5)
    comment = body.get("comment")
    return ScoreRecord(
        user_id=user_id,
        received=dict(body),
        timestamp=timestamp,
        activity_progress=activity,
        grading_progress=grading,
        result_score=result,
        result_maximum=line_item.score_maximum,
        comment=comment if isinstance(comment, str) and comment else None,
    )
