"""Platform public keys, cached per process, re-fetched once when an unknown kid shows up.

pylti1p3 caches a platform's key set without ever re-fetching it, so a key rotation at the LMS
breaks every launch until a restart. Here an unknown kid triggers one re-fetch, rate limited per
key-set URL so a stream of forged kids cannot turn the tool into a request amplifier.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from ..errors import LaunchError

log = logging.getLogger(__name__)

#: how long a fetched key set is trusted before it is fetched again anyway
KEYSET_TTL = 3600


@dataclass
class _Entry:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0


class PlatformKeySets:
    """Thread-safe cache of parsed public keys by key-set URL and kid."""

    def __init__(self, session: requests.Session, refetch_interval: int, timeout: float = 5.0):
        self._session = session
        self._refetch_interval = refetch_interval
        self._timeout = timeout
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        #: number of HTTP fetches made; benchmarks and tests read it
        self.fetches = 0

    def key_for(self, key_set_url: str, kid: str) -> Any:
        """The public key for kid, fetching or re-fetching the set when needed."""
        now = time.monotonic()
        entry = self._entries.get(key_set_url)
        if entry and kid in entry.keys and now - entry.fetched_at < KEYSET_TTL:
            return entry.keys[kid]
        with self._lock:
            entry = self._entries.get(key_set_url)
            stale = entry is None or now - entry.fetched_at >= KEYSET_TTL
            may_refetch = entry is None or now - entry.fetched_at >= self._refetch_interval
            if entry is not None and kid in entry.keys and not stale:
                return entry.keys[kid]
            if stale or may_refetch:
                entry = self._fetch(key_set_url)
                self._entries[key_set_url] = entry
        if kid not in entry.keys:
            raise LaunchError(
                f"The token was signed with key id {kid!r}, which is not in the LMS's key set "
                f"({key_set_url}). If the LMS has just rotated its keys, launch again in a minute."
            )
        return entry.keys[kid]

    def _fetch(self, url: str) -> _Entry:
        self.fetches += 1
        try:
            response = self._session.get(url, timeout=self._timeout)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("cannot fetch the platform key set %s: %s", url, exc)
            raise LaunchError(
                f"The LMS's public key set at {url} could not be read, so the launch cannot be verified.",
                status=502,
            ) from None
        keys: dict[str, Any] = {}
        for jwk in data.get("keys", []) if isinstance(data, dict) else []:
            kid = jwk.get("kid") if isinstance(jwk, dict) else None
            if not kid or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[kid] = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (ValueError, KeyError, TypeError):
                log.warning("skipping a malformed key %s in %s", kid, url)
        log.info("fetched %d platform keys from %s", len(keys), url)
        return _Entry(keys=keys, fetched_at=time.monotonic())
