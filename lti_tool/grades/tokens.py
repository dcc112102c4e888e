"""Access tokens: reused until shortly before expiry, one request per platform and scope set.

Cache layers: this process's dict, then the access_token table (shared by every worker on every
host). A refresh takes the row lock first (PostgreSQL row lock, SQLite write lock), re-reads, and
only then asks the LMS, so concurrent workers do not each fetch a token.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..keys.services import sign_jwt
from ..platform_client import request_token, thread_session
from ..platforms.models import Platform
from .models import AccessToken

log = logging.getLogger(__name__)

#: stop using a token this long before the LMS says it expires
EXPIRY_MARGIN = 120

_memory: dict[tuple[int, str], tuple[str, float]] = {}
_memory_lock = threading.Lock()


def scope_key(scopes: tuple[str, ...]) -> str:
    return " ".join(sorted(set(scopes)))


def _fresh(expires_at: float) -> bool:
    return expires_at - EXPIRY_MARGIN > time.time()


def forget(platform_id: int, scopes: tuple[str, ...]) -> None:
    """Drop a token the LMS refused, here and in the shared table."""
    key = (platform_id, scope_key(scopes))
    with _memory_lock:
        _memory.pop(key, None)


class TokenSource:
    """Callable for PlatformClient: (scopes, force_new) -> bearer token, for one platform."""

    def __init__(self, app: Flask, platform_id: int):
        self._app = app
        self._platform_id = platform_id

    def __call__(self, scopes: tuple[str, ...], force_new: bool = False) -> str:
        key = (self._platform_id, scope_key(scopes))
        if force_new:
            forget(self._platform_id, scopes)
        else:
            hit = _memory.get(key)
            if hit and _fresh(hit[1]):
                return hit[0]
        with self._app.app_context():
            try:
                token, expires = _shared_token(self._platform_id, key[1], scopes, force_new)
            finally:
                db.session.remove()
        with _memory_lock:
            _memory[key] = (token, expires)
        return token


def _shared_token(platform_id: int, key: str, scopes: tuple[str, ...], force_new: bool) -> tuple[str, float]:
    """Read or refresh the shared token in its own short transaction."""
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
    # take the lock, then look again: another worker may have refreshed it meanwhile
    db.session.execute(update(AccessToken).where(AccessToken.id == row_id)
                       .values(lock_version=AccessToken.lock_version + 1))
    row = db.session.get(AccessToken, row_id, populate_existing=True)
    if not force_new and row.token and row.expires_at and _fresh(row.expires_at.timestamp()):
        token, expires = row.token, row.expires_at.timestamp()
        db.session.commit()
        return token, expires
    platform = db.session.get(Platform, platform_id)
    try:
        fresh = request_token(thread_session(), token_url=platform.auth_token_url, client_id=platform.client_id,
                              audience=platform.auth_audience, scopes=scopes, sign=sign_jwt)
    except Exception:
        db.session.rollback()
        raise
    row.token = fresh.value
    row.expires_at = datetime.fromtimestamp(fresh.expires_at, timezone.utc)
    row.requests_made = (row.requests_made or 0) + 1
    db.session.commit()
    log.info("new access token for platform %s, scopes %s, valid %d s",
             platform_id, key, int(fresh.expires_at - time.time()))
    return fresh.value, fresh.expires_at


def reset_memory() -> None:
    """Tests and benchmarks start from a cold cache."""
    with _memory_lock:
        _memory.clear()

