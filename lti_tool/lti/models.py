"""What a successful launch leaves behind: the launch itself and its consumed nonce."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..courses.models import Course, Participant, Placement
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..platforms.models import Deployment, Platform


class Launch(db.Model):
    """A validated launch. Pages after it are reached through a signed reference to this row."""

    __tablename__ = "launch"

    #: random, unguessable; the launch reference signs it
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), nullable=True)
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), nullable=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), nullable=True, index=True
    )
    message_type: Mapped[str] = mapped_column(String(64))
    #: learner | facilitator | admin
    role: Mapped[str] = mapped_column(String(16))
    #: the UI locale derived from launch_presentation.locale (BCP 47 language)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    #: the claims later requests need (AGS, NRPS, deep linking settings, custom, presentation)
    claims: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    platform: Mapped[Platform] = relationship()
    deployment: Mapped[Deployment] = relationship()
    course: Mapped[Course | None] = relationship()
    placement: Mapped[Placement | None] = relationship()
    participant: Mapped[Participant | None] = relationship()


class UsedNonce(db.Model):
    """A nonce seen in an accepted id_token, kept until the token expires so a replay is refused."""

    __tablename__ = "used_nonce"
    __table_args__ = (UniqueConstraint("platform_id", "nonce", name="uq_used_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
