"""Short-lived launch state (OIDC state and nonce) shared by every worker and host.

A file cache on one host by default (`file://…`), Redis in production (`redis://…`). The
per-process SimpleCache of pylti1p3's examples breaks as soon as there are two gunicorn workers.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Protocol

from cachelib import FileSystemCache

log = logging.getLogger(__name__)


class StateStore(Protocol):
    def put(self, key: str, value: dict[str, Any], ttl: int) -> None: ...
    def get(self, key: str) -> dict[str, Any] | None: ...
    def pop(self, key: str) -> dict[str, Any] | None: ...


class FileStateStore:
    """cachelib's file cache: safe across processes on one host (atomic rename on write)."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self._cache = FileSystemCache(str(directory), threshold=20_000, default_timeout=600)

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self._cache.set(key, value, timeout=ttl)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._cache.get(key)

    def pop(self, key: str) -> dict[str, Any] | None:
        value = self._cache.get(key)
        if value is not None:
            self._cache.delete(key)
        return value


class RedisStateStore:
    """Redis: shared across hosts; GETDEL makes taking a state atomic."""

    def __init__(self, url: str):
        import redis  # imported here: only production deployments need the client

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = "emm-lti:"

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self._redis.set(self._prefix + key, json.dumps(value), ex=ttl)

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.get(self._prefix + key)
        return json.loads(raw) if raw else None

    def pop(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.getdel(self._prefix + key)
        return json.loads(raw) if raw else None


def open_state_store(url: str) -> StateStore:
    """Build the store named by EMM_CACHE_URL."""
    if url.startswith("file://"):
        return FileStateStore(Path(url[len("file://"):]))
    return RedisStateStore(url)
