"""Access tokens: reused until shortly before expiry, one request per platform and scope set.

Cache layers: this process's dict, then the access_token table (shared by every worker on every
host). A refresh first claims a short lease on the row (a committed update, so no database lock is
held while the LMS answers); other workers wait for the new token instead of each fetching one.
When the LMS refuses a token (401), the caller names it: a worker whose copy was refused takes the
shared token if another worker has already replaced it, so a revoked token costs one request in
all, not one per process.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..keys.services import sign_jwt
from ..models_base import utcnow
from ..monitoring import metrics
from ..platforms.models import Platform
from .client import request_token
from .hosts import HostPolicy
from .models import AccessToken

log = logging.getLogger(__name__)

#: stop using a token this long before the LMS says it expires (a tenth of the lifetime if shorter)
EXPIRY_MARGIN = 120
#: how long one worker may take to refresh a token before another takes over
REFRESH_LEASE = 30
#: how long a worker waits for another's refresh
REFRESH_WAIT = 20.0

_memory: dict[tuple[int, str], tuple[str, float]] = {}
_memory_lock = threading.Lock()


def scope_key(scopes: tuple[str, ...]) -> str:
    return " ".join(sorted(set(scopes)))


def _fresh(use_until: float) -> bool:
    """`use_until` already has the margin taken off when the token was stored."""
    return use_until > time.time()


def forget(platform_id: int, scopes: tuple[str, ...], token: str | None = None) -> None:
    """Drop a token the LMS refused (or, without `token`, any) from this process's cache."""
    key = (platform_id, scope_key(scopes))
    with _memory_lock:
        if token is None or _memory.get(key, ("",))[0] == token:
            _memory.pop(key, None)


class TokenSource:
    """Callable for PlatformClient: (scopes, refused token or None) -> bearer token, for one platform."""

    def __init__(self, app: Flask, platform_id: int):
        self._app = app
        self._platform_id = platform_id

    def __call__(self, scopes: tuple[str, ...], refused: str | None = None) -> str:
        key = (self._platform_id, scope_key(scopes))
        if refused is not None:
            forget(self._platform_id, scopes, refused)
        hit = _memory.get(key)
        if hit and _fresh(hit[1]) and hit[0] != refused:
            return hit[0]
        with self._app.app_context():
            try:
                token, expires = _shared_token(self._platform_id, key[1], scopes, refused)
            finally:
                db.session.remove()
        with _memory_lock:
            _memory[key] = (token, expires)
        return token


def _shared_token(platform_id: int, key: str, scopes: tuple[str, ...], refused: str | None) -> tuple[str, float]:
    """Read the shared token (unless it is the one the LMS `refused`), or refresh it under a short lease.

    The lease is a committed row update (`refreshing_until`), not an open transaction: no database
    lock is held while the LMS answers (on SQLite that would block every other write).
    """
    row_id = _row_id(platform_id, key)
    deadline = time.monotonic() + REFRESH_WAIT
    while True:
        row = db.session.get(AccessToken, row_id, populate_existing=True)
        if row.token and row.token != refused and row.expires_at and _fresh(row.expires_at.timestamp()):
            token, expires = row.token, row.expires_at.timestamp()
            db.session.commit()
            return token, expires
        now = utcnow()
        claimed = db.session.execute(
            update(AccessToken)
            .where(AccessToken.id == row_id,
                   or_(AccessToken.refreshing_until.is_(None), AccessToken.refreshing_until < now))
            .values(refreshing_until=now + timedelta(seconds=REFRESH_LEASE))
        ).rowcount
        db.session.commit()
        if claimed == 1:
            break
        if time.monotonic() > deadline:  # the refreshing worker died or the LMS is slow: take over
            break
        time.sleep(0.1)  # another worker is asking the LMS: wait for its token
    platform = db.session.get(Platform, platform_id)
    db.session.commit()  # nothing stays open while we wait on the LMS
    try:
        fresh = request_token(HostPolicy.for_platform(platform), token_url=platform.auth_token_url, client_id=platform.client_id,
                              audience=platform.auth_audience, scopes=scopes, sign=sign_jwt)
        metrics.token_request(ok=True)
    except Exception:
        metrics.token_request(ok=False)
        db.session.execute(update(AccessToken).where(AccessToken.id == row_id).values(refreshing_until=None))
        db.session.commit()
        raise
    lifetime = max(1.0, fresh.expires_at - time.time())
    # stop using it a little before the LMS does: 2 minutes, or a tenth of a short lifetime
    use_until = fresh.expires_at - min(EXPIRY_MARGIN, lifetime / 10)
    db.session.execute(update(AccessToken).where(AccessToken.id == row_id).values(
        token=fresh.value, expires_at=datetime.fromtimestamp(use_until, timezone.utc),
        requests_made=AccessToken.requests_made + 1, refreshing_until=None))
    db.session.commit()
    log.info("new access token for platform %s, scopes %s, valid %d s", platform_id, key, int(lifetime))
    return fresh.value, use_until


def _row_id(platform_id: int, key: str) -> int:
    row_id = db.session.scalar(select(AccessToken.id).where(
        AccessToken.platform_id == platform_id, AccessToken.scope_key == key))
    if row_id is None:
        try:
            with db.session.begin_nested():
                row = AccessToken(platform_id=platform_id, scope_key=key)
                db.session.add(row)
            row_id = row.id
        except IntegrityError:  # another worker created it first
            row_id = db.session.scalar(select(AccessToken.id).where(
                AccessToken.platform_id == platform_id, AccessToken.scope_key == key))
        db.session.commit()
    return row_id


def reset_memory() -> None:
    """Tests and benchmarks start from a cold cache."""
    with _memory_lock:
        _memory.clear()

