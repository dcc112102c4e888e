"""A signing key pair of the tool."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"        # signs new messages; exactly one
    PUBLISHED = "published"  # no longer signs, still in the JWKS for in-flight tokens and LMS caches
    RETIRED = "retired"      # gone from the JWKS


class ToolKey(db.Model):
    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    #: PEM, PKCS#8. Never logged, never shown by the CLI.
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    status: Mapped[KeyStatus] = mapped_column(Enum(KeyStatus, native_enum=False, length=16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
