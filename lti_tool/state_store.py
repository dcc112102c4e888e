"""Short-lived launch state (OIDC state and nonce) shared by every worker and host.

A file cache on one host by default (`file://…`), Redis in production (`redis://…`). The
per-process SimpleCache of pylti1p3's examples breaks as soon as there are two gunicorn workers.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class StateStore(Protocol):
    def put(self, key: str, value: dict[str, Any], ttl: int) -> None: ...
    def get(self, key: str) -> dict[str, Any] | None: ...
    def pop(self, key: str) -> dict[str, Any] | None: ...


class FileStateStore:
    """One JSON file per key on the local disk: safe across processes of one host.

    Writes go through a temporary file and os.replace; `pop` claims the file with os.rename,
    which exactly one process can win, so a state is taken once even by racing replays.
    (cachelib's file cache reads then deletes, which two requests can both pass.)
    """

    def __init__(self, directory: Path):
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self._dir / hashlib.sha256(key.encode()).hexdigest()

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        target = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-")
        with os.fdopen(fd, "w") as handle:
            json.dump({"expires": time.time() + ttl, "value": value}, handle)
        os.replace(tmp, target)
        if secrets.randbelow(200) == 0:
            self.prune()

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return data["value"] if data.get("expires", 0) > time.time() else None

    def get(self, key: str) -> dict[str, Any] | None:
        return self._read(self._path(key))

    def pop(self, key: str) -> dict[str, Any] | None:
        claimed = self._dir / f".taken-{secrets.token_hex(8)}"
        try:
            os.rename(self._path(key), claimed)
        except FileNotFoundError:
            return None
        try:
            return self._read(claimed)
        finally:
            claimed.unlink(missing_ok=True)

    def prune(self) -> int:
        """Delete expired entries (and leftovers of interrupted writes); returns how many."""
        removed = 0
        now = time.time()
        for path in self._dir.iterdir():
            try:
                if path.name.startswith(".") and now - path.stat().st_mtime > 3600:
                    path.unlink()
                    removed += 1
                elif not path.name.startswith(".") and self._read(path) is None:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


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
