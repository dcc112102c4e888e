"""Register, list and remove platforms. Used by the CLI, the demo LMS and dynamic registration."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select

from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..lms.hosts import is_loopback_name, parse_service_host
from .directory import directory
from .models import Deployment, Platform

log = logging.getLogger(__name__)


class InvalidPlatform(BadRequest):
    """A registration value is wrong; `field` names which one."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class PlatformExists(Conflict):
    """A registration for this issuer and client_id exists; only an operator may change it."""

    def __init__(self, issuer: str, client_id: str):
        super().__init__(
            f"A platform with issuer {issuer!r} and client_id {client_id!r} is already registered. "
            "A registration never replaces another: an operator changes one with `emm-lti platform edit`.")
        self.issuer = issuer
        self.client_id = client_id


#: True for localhost and loopback addresses, where plain http is acceptable
is_loopback_host = is_loopback_name


def check_service_hosts(values: Iterable[str] | None) -> tuple[str, ...]:
    """`host` or `host:port` each, normalised (lower case); InvalidPlatform naming the bad one."""
    hosts: list[str] = []
    for value in values or ():
        try:
            host, port = parse_service_host(value)
        except ValueError as exc:
            raise InvalidPlatform("service-host", str(exc)) from None
        text = host if port == 443 else f"{host}:{port}"
        if text not in hosts:
            hosts.append(text)
    return tuple(hosts)


#: a DNS name or an IP literal (urlsplit keeps whatever the netloc says, quotes included)
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?|[0-9a-f:.]+")


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
    if not _HOST.fullmatch(parts.hostname or ""):
        raise InvalidPlatform(field, f"{url!r} does not name a valid host")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise InvalidPlatform(field, f"{url!r} has an invalid port") from None
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
    service_hosts: tuple[str, ...] = ()

    @classmethod
    def build(
        cls, *, issuer: str, client_id: str, deployment_ids: Iterable[str], auth_login_url: str,
        auth_token_url: str, key_set_url: str, name: str | None = None, auth_audience: str | None = None,
        service_hosts: Iterable[str] | None = None,
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
            service_hosts=check_service_hosts(service_hosts),
        )


def find_platform(issuer: str, client_id: str) -> Platform | None:
    return db.session.scalar(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    )


def register_platform(spec: PlatformSpec) -> Platform:
    """Create the platform and its deployments; PlatformExists when (issuer, client_id) is taken.

    Nothing that registers (dynamic registration, `platform add`) may change an existing platform:
    its key set decides whose launches are believed. Changes go through `edit_platform`.
    """
    if find_platform(spec.issuer, spec.client_id) is not None:
        raise PlatformExists(spec.issuer, spec.client_id)
    platform = Platform(issuer=spec.issuer, client_id=spec.client_id, name=spec.name,
                        auth_login_url=spec.auth_login_url, auth_token_url=spec.auth_token_url,
                        key_set_url=spec.key_set_url, auth_audience=spec.auth_audience,
                        service_hosts=list(spec.service_hosts) or None)
    platform.deployments = [Deployment(deployment_id=d) for d in spec.deployment_ids]
    db.session.add(platform)
    db.session.flush()
    directory.clear()
    log.info("registered platform %s client %s", spec.issuer, spec.client_id)
    return platform


#: the fields `platform edit` may change, as PlatformSpec names them
EDITABLE = ("name", "auth_login_url", "auth_token_url", "key_set_url", "auth_audience", "service_hosts")


def edit_platform(issuer: str, client_id: str, *, add_deployment_ids: Iterable[str] = (),
                  **changes: object) -> tuple[Platform, dict[str, tuple[object, object]]]:
    """An operator's change to a registration: the given fields (checked as `platform add` checks
    them) and any new deployments. Logged at WARNING with the old and new values, because a
    platform's URLs decide which keys are believed and where tokens go. Returns what changed."""
    platform = find_platform(issuer, client_id)
    if platform is None:
        raise NotFound(f"no platform with issuer {issuer!r} and client-id {client_id!r}")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidPlatform(sorted(unknown)[0], "cannot be changed")
    current = {"name": platform.name, "auth_login_url": platform.auth_login_url,
               "auth_token_url": platform.auth_token_url, "key_set_url": platform.key_set_url,
               "auth_audience": platform.auth_audience, "service_hosts": list(platform.service_hosts or ())}
    wanted = {**current, **{k: v for k, v in changes.items() if v is not None}}
    spec = PlatformSpec.build(
        issuer=platform.issuer, client_id=platform.client_id,
        deployment_ids=[d.deployment_id for d in platform.deployments] or ["-"],
        auth_login_url=str(wanted["auth_login_url"]), auth_token_url=str(wanted["auth_token_url"]),
        key_set_url=str(wanted["key_set_url"]), name=str(wanted["name"] or ""),
        auth_audience=str(wanted["auth_audience"]) if wanted["auth_audience"] else None,
        service_hosts=wanted["service_hosts"],  # type: ignore[arg-type]
    )
    new = {"name": spec.name, "auth_login_url": spec.auth_login_url, "auth_token_url": spec.auth_token_url,
           "key_set_url": spec.key_set_url, "auth_audience": spec.auth_audience,
           "service_hosts": list(spec.service_hosts)}
    done = {k: (current[k], new[k]) for k in EDITABLE if current[k] != new[k]}
    for key, (_old, value) in done.items():
        setattr(platform, key, (value or None) if key == "service_hosts" else value)
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in add_deployment_ids:
        deployment_id = _check_text("deployment-id", deployment_id)
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)
            done.setdefault("deployments", ([], []))[1].append(deployment_id)  # type: ignore[union-attr]
    db.session.flush()
    directory.clear()
    for key, (old, value) in done.items():
        if key == "deployments":
            log.warning("platform %s client %s: deployments added %s", issuer, client_id, value)
        else:
            log.warning("platform %s client %s: %s changed from %r to %r", issuer, client_id, key, old, value)
    return platform, done


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
