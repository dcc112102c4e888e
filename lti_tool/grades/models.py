"""A score owed to an LMS (the outbox). (Access tokens live with the LMS seam, `lms/models.py`.)"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..courses.models import Participant, Placement
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"        # waiting for its next try
    DELIVERED = "delivered"    # the LMS accepted it (or said 409: it already had it)
    FAILED = "failed"          # the LMS refused it for a reason retrying cannot fix
    SUPERSEDED = "superseded"  # a newer score for the same person and column replaced it


class GradeDelivery(db.Model):
    """One score for one participant in one placement's grade column."""

    __tablename__ = "grade_delivery"
    __table_args__ = (
        Index("ix_grade_delivery_due", "status", "next_attempt_at"),
        Index("ix_grade_delivery_target", "placement_id", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(ForeignKey("placement.id", ondelete="CASCADE"))
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

    placement: Mapped[Placement] = relationship()
    participant: Mapped[Participant] = relationship()


# kept importable from here: the table belongs to the LMS seam now
from ..lms.models import AccessToken  # noqa: E402,F401
