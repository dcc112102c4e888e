"""A score owed to an LMS (the outbox). (Access tokens live with the LMS seam, `lms/models.py`.)"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..courses.models import Course, Participant, Placement
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"        # waiting for its next try
    DELIVERED = "delivered"    # the LMS accepted it (or said 409: it already had it)
    FAILED = "failed"          # the LMS refused it for a reason retrying cannot fix
    SUPERSEDED = "superseded"  # a newer score for the same person and column replaced it
    #: the course has no gradebook column for the module yet: kept, and queued again as soon as a
    #: launch or a deep link gives the module a placement in the course
    NO_COLUMN = "no_column"


class GradeDelivery(db.Model):
    """One score for one participant in the course's grade column for one module.

    The column is the course's, not the activity's the learner happened to be in: a module reached
    through a link from another module's pages still scores in its own column.
    """

    __tablename__ = "grade_delivery"
    __table_args__ = (
        Index("ix_grade_delivery_due", "status", "next_attempt_at"),
        Index("ix_grade_delivery_column", "course_id", "module_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(32))
    #: the placement whose column receives the score; None when the course has no placement of the
    #: module and the column is looked up through the AGS line items service (resourceId = module)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"), nullable=True)
    #: the line item found by resourceId when no placement is known
    lineitem_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    #: the AGS score body, timestamp included: a retry sends exactly the same JSON
    score: Mapped[dict] = mapped_column(JSON)
    #: the score's timestamp, kept to make the next one strictly newer (Moodle compares seconds)
    score_timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), default=DeliveryStatus.PENDING
    )
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: a worker's lease: while in the future, other workers leave the row alone
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    course: Mapped[Course] = relationship()
    placement: Mapped[Placement | None] = relationship()
    participant: Mapped[Participant] = relationship()


# kept importable from here: the table belongs to the LMS seam now
from ..lms.models import AccessToken  # noqa: E402,F401
