"""Platform public keys: PyJWT's PyJWKClient, one per key-set URL, fetching through the LMS seam.

PyJWKClient brings what a launch needs: the key set cached for `KEYSET_TTL`, one re-fetch when an
unknown kid shows up, rate limited (`cooldown_duration`, our EMM_KEYSET_REFETCH_INTERVAL) so a stream
of forged kids cannot turn the tool into a request amplifier, and a lock per client, so with one
client per URL the fetch is single flight per key-set URL: a slow key set of one LMS holds only the
launches of that LMS, never another's. Its own HTTP (urllib, no size cap, a timeout per read) is
replaced by `transport.fetch`: the key set's host, https, no redirects, a total deadline, 1 MB at most.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientError, PyJWTError

from ..errors import LaunchError
from .client import check
from .errors import PlatformError
from .hosts import HostPolicy
from .transport import USER_AGENT, fetch

log = logging.getLogger(__name__)

#: how long a fetched key set is trusted before it is fetched again anyway
KEYSET_TTL = 3600
#: the largest key set read
KEYSET_LIMIT = 1024 * 1024
#: seconds a key-set fetch may take in all (a launch waits for it)
KEYSET_DEADLINE = 10.0


class _KeySetClient(PyJWKClient):
    """PyJWKClient whose fetch is the seam's."""

    def __init__(self, url: str, refetch_interval: int):
        super().__init__(url, cache_keys=False, cache_jwk_set=True, lifespan=KEYSET_TTL,
                         headers={"User-Agent": USER_AGENT}, timeout=KEYSET_DEADLINE,
                         cooldown_duration=refetch_interval)
        # the key set's own URL is one of the platform's registered URLs: its host is the policy
        self._policy = HostPolicy.for_urls("the LMS", [url])

    def fetch_data(self) -> Any:
        answer = check(fetch("GET", self.uri, self._policy, what="its public key set", limit=KEYSET_LIMIT,
                             deadline=KEYSET_DEADLINE, headers={"Accept": "application/json"}))
        data = answer.json("its public key set")
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise PyJWKClientError("the key set is not a JSON object with a list of keys")
        # only RSA signing keys: the tool accepts RS256 id_tokens and nothing else
        data = {"keys": [k for k in data["keys"] if isinstance(k, dict) and k.get("kty") == "RSA"
                         and k.get("use", "sig") == "sig" and k.get("kid")]}
        self._last_successful_fetch = time.monotonic()
        log.info("fetched %d platform keys from %s", len(data["keys"]), self.uri)
        return data


class PlatformKeySets:
    """Public keys by key-set URL and kid, one PyJWKClient (and so one lock) per URL."""

    def __init__(self, refetch_interval: int):
        self._refetch_interval = refetch_interval
        self._clients: dict[str, _KeySetClient] = {}
        self._clients_lock = threading.Lock()

    def _client(self, key_set_url: str) -> _KeySetClient:
        client = self._clients.get(key_set_url)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(key_set_url)
                if client is None:
                    client = self._clients[key_set_url] = _KeySetClient(key_set_url, self._refetch_interval)
        return client

    def key_for(self, key_set_url: str, kid: str) -> Any:
        """The public key for kid, fetching or re-fetching the set when needed."""
        try:
            key = self._client(key_set_url).get_signing_key(kid).key
        except PlatformError as exc:
            log.warning("cannot fetch the platform key set %s: %s", key_set_url, exc.reason)
            raise LaunchError(
                f"The LMS's public key set at {key_set_url} could not be read ({exc.reason}), "
                "so the launch cannot be verified.", status=502) from None
        except PyJWTError:
            raise LaunchError(
                f"The token was signed with key id {kid!r}, which is not in the LMS's key set "
                f"({key_set_url}). If the LMS has just rotated its keys, launch again in a minute."
            ) from None
        if not isinstance(key, RSAPublicKey):
            raise LaunchError(f"The LMS's key {kid!r} is not an RSA key; LTI 1.3 requires RS256.")
        return key
