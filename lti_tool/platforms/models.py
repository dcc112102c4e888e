"""An LMS registration (issuer + client_id) and the deployments it may launch from."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Platform(db.Model):
    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_platform_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the `iss` claim of the platform's id_tokens
    issuer: Mapped[str] = mapped_column(String(255))
    #: the client_id the platform issued to this tool (the `aud` of its id_tokens)
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    key_set_url: Mapped[str] = mapped_column(String(1024))
    #: `aud` for client assertions when the token endpoint wants something other than its URL
    auth_audience: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: hosts (`host` or `host:port`) the platform's services may live on besides its registered URLs'
    #: (Canvas: the institution's domain); the LMS seam calls no other host for this platform
    service_hosts: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deployments: Mapped[list["Deployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.id} {self.issuer} {self.client_id}>"


class Deployment(db.Model):
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_deployment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    #: the `deployment_id` claim; Moodle uses the tool type id, e.g. "1"
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")
