"""Register, list and remove platforms. Used by the CLI, the demo LMS and dynamic registration."""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select

from ..errors import BadRequest, NotFound
from ..extensions import db
from .directory import directory
from .models import Deployment, Platform

log = logging.getLogger(__name__)


class InvalidPlatform(BadRequest):
    """A registration value is wrong; `field` names which one."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def is_loopback_host(host: str | None) -> bool:
    """True for localhost and loopback addresses, where plain http is acceptable."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(field: str, url: str) -> str:
    """Require an absolute https URL (http only on loopback); return it unchanged."""
    if not url or not url.strip():
        raise InvalidPlatform(field, "is required")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidPlatform(field, f"{url!r} is not an absolute http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InvalidPlatform(field, f"{url!r} must use https (plain http is allowed only on loopback)")
    if parts.username or parts.password:
        raise InvalidPlatform(field, "must not contain a user name or password")
    return url


def _check_text(field: str, value: str, limit: int = 255) -> str:
    if value is None or not str(value).strip():
        raise InvalidPlatform(field, "is required")
    value = str(value).strip()
    if len(value) > limit:
        raise InvalidPlatform(field, f"is longer than {limit} characters")
    if any(ord(ch) < 32 for ch in value):
        raise InvalidPlatform(field, "contains control characters")
    return value


@dataclass(frozen=True)
class PlatformSpec:
    """Validated registration values."""

    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    auth_audience: str | None = None

    @classmethod
    def build(
        cls, *, issuer: str, client_id: str, deployment_ids: Iterable[str], auth_login_url: str,
        auth_token_url: str, key_set_url: str, name: str | None = None, auth_audience: str | None = None,
    ) -> "PlatformSpec":
        """Validate every field, naming the first one that is wrong."""
        issuer = _check_text("issuer", issuer)
        parts = urlsplit(issuer)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise InvalidPlatform("issuer", f"{issuer!r} must be an http(s) URL (the platform's iss)")
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise InvalidPlatform("issuer", f"{issuer!r} must use https (plain http only on loopback)")
        deployments = tuple(_check_text("deployment-id", d) for d in deployment_ids)
        if not deployments:
            raise InvalidPlatform("deployment-id", "at least one is required")
        if len(set(deployments)) != len(deployments):
            raise InvalidPlatform("deployment-id", "is given twice")
        return cls(
            issuer=issuer,
            client_id=_check_text("client-id", client_id),
            deployment_ids=deployments,
            auth_login_url=check_url("auth-login-url", auth_login_url),
            auth_token_url=check_url("auth-token-url", auth_token_url),
            key_set_url=check_url("key-set-url", key_set_url),
            name=(name or "").strip()[:255] or parts.hostname or issuer,
            auth_audience=auth_audience.strip() if auth_audience else None,
        )


def find_platform(issuer: str, client_id: str) -> Platform | None:
    return db.session.scalar(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    )


def register_platform(spec: PlatformSpec) -> Platform:
    """Create the platform, or update its URLs and add deployments when it exists (idempotent)."""
    platform = find_platform(spec.issuer, spec.client_id)
    if platform is None:
        platform = Platform(issuer=spec.issuer, client_id=spec.client_id)
        db.session.add(platform)
        log.info("registered platform %s client %s", spec.issuer, spec.client_id)
    platform.name = spec.name
    platform.auth_login_url = spec.auth_login_url
    platform.auth_token_url = spec.auth_token_url
    platform.key_set_url = spec.key_set_url
    platform.auth_audience = spec.auth_audience
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in spec.deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
    db.session.flush()
    directory.clear()
    return platform


def list_platforms() -> list[Platform]:
    return list(db.session.scalars(select(Platform).order_by(Platform.id)))


def remove_platform(issuer: str, client_id: str) -> None:
    """Delete a platform and everything recorded under it."""
    platform = find_platform(issuer, client_id)
    if platform is None:
        raise NotFound(f"no platform with issuer {issuer!r} and client-id {client_id!r}")
    db.session.delete(platform)
    db.session.flush()
    directory.clear()
    log.info("removed platform %s client %s", issuer, client_id)
