"""Short-lived launch state (OIDC state and nonce) shared by every worker and host.

A SQLite file on one host by default (`file://<folder>`), Redis in production (`redis://…`). The
per-process SimpleCache of pylti1p3's examples breaks as soon as there are two gunicorn workers.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class StateStore(Protocol):
    def put(self, key: str, value: dict[str, Any], ttl: int) -> None: ...
    def get(self, key: str) -> dict[str, Any] | None: ...
    def pop(self, key: str) -> dict[str, Any] | None: ...
    def prune(self) -> int: ...


class FileStateStore:
    """A small SQLite file on the local disk (`state.sqlite3` in the cache folder): safe across the
    processes of one host.

    `pop` is one `DELETE … RETURNING`: SQLite's write lock lets exactly one caller take a row, so a
    state is taken once even by racing replays. (cachelib's file cache reads then deletes, which two
    requests can both pass.) Each entry is a row, not a file: creating a file cost our 2-core VM
    0.01–0.45 ms of kernel time (it varies with the folder and the machine's load), a row in the
    write-ahead log about 0.03 ms. The log is not synced on each write (synchronous=NORMAL): a power
    cut may lose logins in progress, nothing else.

    Bounded: expired rows are deleted by `prune` (the grade worker's purge every 10 minutes, and
    `emm-lti purge`), and every `CHECK_EVERY` writes the store also prunes and, above `max_entries`
    rows, drops the entries closest to expiry, so a flood of logins cannot fill the disk. The file is
    0600 in a 0700 folder: it holds OIDC states and cached rosters (names and emails).
    """

    #: writes between two checks of the bound
    CHECK_EVERY = 500

    FILENAME = "state.sqlite3"

    def __init__(self, directory: Path, max_entries: int = 100_000):
        from .config import private_file, private_folder

        private_folder(directory)
        self._path = str(private_file(directory / self.FILENAME))
        self._max_entries = max_entries
        self._puts = 0
        #: one connection per thread (and per process: gunicorn forks after the app may be built)
        self._local = threading.local()
        #: writers of one process take turns here, not in SQLite's busy handler (which sleeps 1, 2, 5 … ms)
        self._writes = threading.Lock()
        conn = self._conn()
        conn.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, expires REAL NOT NULL, "
                     "value TEXT NOT NULL) WITHOUT ROWID")
        conn.execute("CREATE INDEX IF NOT EXISTS state_expires ON state (expires)")

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        pid = os.getpid()
        if getattr(local, "pid", None) != pid:
            # autocommit: every statement is its own short transaction
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            local.conn, local.pid = conn, pid
        return local.conn

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        row = (key, time.time() + ttl, json.dumps(value, separators=(",", ":")))
        conn = self._conn()
        with self._writes:
            conn.execute("INSERT OR REPLACE INTO state (key, expires, value) VALUES (?, ?, ?)", row)
            self._puts += 1
            check = self._puts % self.CHECK_EVERY == 0
        if check:
            self.bound()

    @staticmethod
    def _value(rows: list[tuple[float, str]]) -> dict[str, Any] | None:
        if not rows or rows[0][0] <= time.time():
            return None
        return json.loads(rows[0][1])

    def get(self, key: str) -> dict[str, Any] | None:
        return self._value(self._conn().execute("SELECT expires, value FROM state WHERE key = ?", (key,)).fetchall())

    def pop(self, key: str) -> dict[str, Any] | None:
        conn = self._conn()
        with self._writes:
            # fetchall: the statement must run to its end to finish (and release) the write
            rows = conn.execute("DELETE FROM state WHERE key = ? RETURNING expires, value", (key,)).fetchall()
        return self._value(rows)

    def prune(self) -> int:
        """Delete expired entries, and give the space back when much of the file is free; returns how many."""
        conn = self._conn()
        with self._writes:
            deleted = conn.execute("DELETE FROM state WHERE expires <= ?", (time.time(),)).rowcount
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            if free > 1024 and free * 2 > pages:
                conn.execute("VACUUM")
        return deleted

    def bound(self) -> int:
        """Prune, then drop the entries closest to expiry above `max_entries`; returns how many went."""
        gone = self.prune()
        conn = self._conn()
        with self._writes:
            count = conn.execute("SELECT count(*) FROM state").fetchone()[0]
            if count > self._max_entries:
                excess = count - self._max_entries
                conn.execute("DELETE FROM state WHERE key IN (SELECT key FROM state ORDER BY expires LIMIT ?)",
                             (excess,))
                log.warning("launch state store full: dropped %d entries (more than %d logins under way?)",
                            excess, self._max_entries)
                gone += excess
        return gone

    def __len__(self) -> int:
        return self._conn().execute("SELECT count(*) FROM state WHERE expires > ?", (time.time(),)).fetchone()[0]


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

    def prune(self) -> int:
        """Nothing to do: every key carries its TTL (bound Redis itself with `maxmemory`)."""
        return 0


def open_state_store(url: str, max_entries: int = 100_000) -> StateStore:
    """Build the store named by EMM_CACHE_URL."""
    if url.startswith("file://"):
        return FileStateStore(Path(url[len("file://"):]), max_entries)
    return RedisStateStore(url)
