"""Registered platforms, cached per process: the launch path reads them from memory.

Every login and launch needs the platform (by issuer and client_id) and checks the deployment.
Platforms change rarely, so each process keeps a copy for `TTL` seconds; registering or removing
a platform clears this process's copy at once, other processes within TTL.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from .models import Deployment, Platform

TTL = 30.0
#: an unknown (issuer, client_id) reloads the snapshot at most this often (bogus launches cannot flood the DB)
MISS_RELOAD = 2.0


@dataclass(frozen=True)
class PlatformInfo:
    id: int
    issuer: str
    client_id: str
    name: str
    auth_login_url: str
    key_set_url: str
    #: deployment_id claim -> our deployment row id
    deployments: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or self.issuer


class PlatformDirectory:
    """Thread-safe, time-limited snapshot of the platform and deployment tables."""

    def __init__(self, ttl: float = TTL):
        self._ttl = ttl
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_key: dict[tuple[str, str], PlatformInfo] = {}
        self._by_issuer: dict[str, list[PlatformInfo]] = {}
        #: bumped on every reload, so derived values (the CSP header) know when to rebuild
        self.generation = 0

    def clear(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def _ensure(self) -> None:
        if time.monotonic() - self._loaded_at < self._ttl:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < self._ttl:
                return
            deployments: dict[int, dict[str, int]] = {}
            for row_id, platform_id, deployment_id in db.session.execute(
                    select(Deployment.id, Deployment.platform_id, Deployment.deployment_id)):
                deployments.setdefault(platform_id, {})[deployment_id] = row_id
            by_key: dict[tuple[str, str], PlatformInfo] = {}
            by_issuer: dict[str, list[PlatformInfo]] = {}
            for p in db.session.execute(select(Platform.id, Platform.issuer, Platform.client_id, Platform.name,
                                               Platform.auth_login_url, Platform.key_set_url)):
                info = PlatformInfo(p.id, p.issuer, p.client_id, p.name, p.auth_login_url, p.key_set_url,
                                    deployments.get(p.id, {}))
                by_key[(p.issuer, p.client_id)] = info
                by_issuer.setdefault(p.issuer, []).append(info)
            self._by_key, self._by_issuer = by_key, by_issuer
            self._loaded_at = time.monotonic()
            self.generation += 1

    def find(self, issuer: str, client_id: str) -> PlatformInfo | None:
        self._ensure()
        found = self._by_key.get((issuer, client_id))
        if found is None and time.monotonic() - self._loaded_at >= MISS_RELOAD:
            # registered moments ago by another process? look again, at most every MISS_RELOAD seconds
            self.clear()
            self._ensure()
            found = self._by_key.get((issuer, client_id))
        return found

    def all(self) -> list[PlatformInfo]:
        self._ensure()
        return list(self._by_key.values())

    def for_issuer(self, issuer: str) -> list[PlatformInfo]:
        self._ensure()
        return list(self._by_issuer.get(issuer, []))


#: one per process; the app's runtime and the platform services share it
directory = PlatformDirectory()
