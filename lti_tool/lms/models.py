"""The LMS access tokens shared by every worker (the cache in `tokens.py` reads and refreshes them)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime


class AccessToken(db.Model):
    """An LMS access token, keyed by platform (issuer + client_id) and scope set, shared by workers."""

    __tablename__ = "access_token"
    __table_args__ = (UniqueConstraint("platform_id", "scope_key", name="uq_access_token_scopes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    #: the sorted, space-separated scopes
    scope_key: Mapped[str] = mapped_column(String(1024))
    token: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: when to stop using the token: the LMS's expiry less a safety margin
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: a worker asking the LMS for a new token holds this lease; the others wait for its result
    refreshing_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: how many tokens we requested; benchmarks and tests read it
    requests_made: Mapped[int] = mapped_column(Integer, default=0)
