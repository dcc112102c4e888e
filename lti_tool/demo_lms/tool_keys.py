"""The tool's public keys, fetched from its JWKS URL over HTTP, to verify what the tool signs."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import jwt
import requests

log = logging.getLogger(__name__)


class ToolJwtError(Exception):
    """A JWT from the tool cannot be trusted; the message says why (safe to show)."""


class ToolKeySet:
    """Cache of the tool's keys by kid; an unknown kid triggers one re-fetch, so tool key rotation works."""

    def __init__(self, jwks_url: str, *, timeout: float, on_fetch: Callable[[], None] | None = None) -> None:
        self._url = jwks_url
        self._timeout = timeout
        self._on_fetch = on_fetch
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}

    def _fetch(self) -> dict[str, Any]:
        """Download the key set; a tool that is down or answers junk is a ToolJwtError, not a 500."""
        if self._on_fetch:
            self._on_fetch()
        try:
            resp = requests.get(
                self._url,
                timeout=self._timeout,
                headers={"Accept": "application/json", "User-Agent": "emm-demo-lms"},
            )
            resp.raise_for_status()
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise ToolJwtError(f"cannot fetch the tool's key set from {self._url}: {exc}") from exc
        keys: dict[str, Any] = {}
        for entry in body.get("keys", []) if isinstance(body, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA":
                continue
            try:
                keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry, algorithm="RS256").key
            except jwt.PyJWTError:
                log.warning("skipping an unusable key %r in the tool JWKS", entry.get("kid"))
        log.info("fetched %d key(s) from the tool JWKS %s", len(keys), self._url)
        return keys

    def key_for(self, kid: str | None) -> Any:
        """The public key for kid, re-fetching once when it is unknown (or the JWT names none)."""
        with self._lock:
            if kid is None or kid not in self._keys:
                self._keys = self._fetch()
            if kid is None:
                if len(self._keys) == 1:
                    return next(iter(self._keys.values()))
                raise ToolJwtError("the JWT header has no kid and the tool publishes several keys")
            try:
                return self._keys[kid]
            except KeyError:
                raise ToolJwtError(f"the tool's key set has no key with kid {kid!r}") from None

    def decode(self, token: str, *, issuer: str, audience: str, leeway: int) -> dict[str, Any]:
        """Verify signature, iss, aud, exp and iat of a tool-signed RS256 JWT and return its claims."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise ToolJwtError(f"not a JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise ToolJwtError(f"the JWT must be signed with RS256, not {header.get('alg')!r}")
        key = self.key_for(header.get("kid"))
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=issuer,
                audience=audience,
                leeway=leeway,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise ToolJwtError(f"JWT rejected: {exc}") from exc
