"""The one place that talks to an LMS's services: OAuth2 tokens, AGS line items and scores, NRPS.

Every call has a timeout, sends our User-Agent, and turns failures into this small tree:

    PlatformError                 the LMS did not do what we asked
    ├── PlatformUnavailable       worth retrying: connection failure, timeout, 5xx, 429 (retry_after)
    └── PlatformRejected          not worth retrying as is: a 4xx with the LMS's reason
        └── PlatformAuthError     401/403: the token was refused (refresh it once, then give up)
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import requests

from .runtime import USER_AGENT

log = logging.getLogger(__name__)

TIMEOUT = (5, 15)  # connect, read: an LMS under load answers slowly, a dead one should fail fast
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: seconds before trying again after the LMS refused our token request (a registration problem)
TOKEN_REFUSED_RETRY = 300.0


class PlatformError(Exception):
    """The LMS did not do what we asked; `reason` is safe to show to a facilitator."""

    def __init__(self, reason: str, *, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PlatformUnavailable(PlatformError):
    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason, status=status)
        self.retry_after = retry_after


class PlatformRejected(PlatformError):
    pass


class PlatformAuthError(PlatformRejected):
    pass


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def service_url(url: str, suffix: str) -> str:
    """Append a path segment before the query: Moodle's URLs end in `?type_id=1`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + suffix))


def describe_refusal(status: int, body: str) -> str:
    """'HTTP 400: <the LMS's own reason>' from an error answer's status and body (JSON or text)."""
    text = body.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            text = str(data.get("reason") or data.get("error_description") or data.get("error") or data.get("message") or text)
    except ValueError:
        pass
    text = re.sub(r"\s+", " ", text)[:300]
    return f"HTTP {status}: {text}" if text else f"HTTP {status}"


def _reason(response: requests.Response) -> str:
    return describe_refusal(response.status_code, response.text)


def check(response: requests.Response) -> requests.Response:
    """Raise our error for anything but 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status == 429 or status >= 500:
        raise PlatformUnavailable(_reason(response), status=status,
                                  retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise PlatformAuthError(_reason(response), status=status)
    raise PlatformRejected(_reason(response), status=status)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # epoch seconds


class PlatformClient:
    """Calls for one platform. `token_source(scopes, refused)` returns a cached or fresh access token;
    `refused` is the token the LMS just answered 401 to (None on a first try)."""

    def __init__(self, http: requests.Session, token_source: Callable[[tuple[str, ...], str | None], str]):
        self._http = http
        self._token_source = token_source

    def _call(self, method: str, url: str, scopes: tuple[str, ...], **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        refused: str | None = None
        for attempt in (1, 2):
            token = self._token_source(scopes, refused)  # second try: anything but the refused token
            headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._http.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                raise PlatformUnavailable(f"cannot reach the LMS: {type(exc).__name__}") from None
            try:
                return check(response)
            except PlatformAuthError:
                if attempt == 2:
                    raise
                refused = token
                log.info("token refused by %s; fetching a new one", urlsplit(url).netloc)
        raise AssertionError("unreachable")

    def post_score(self, lineitem_url: str, score: dict[str, Any], scopes: tuple[str, ...]) -> requests.Response:
        return self._call("POST", service_url(lineitem_url, "scores"), scopes, data=json.dumps(score),
                          headers={"Content-Type": "application/vnd.ims.lis.v1.score+json"})

    def line_items(self, lineitems_url: str, scopes: tuple[str, ...], **filters: str) -> list[dict[str, Any]]:
        response = self._call("GET", lineitems_url, scopes, params=filters,
                              headers={"Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"})
        data = response.json()
        return data if isinstance(data, list) else []

    def create_line_item(self, lineitems_url: str, item: dict[str, Any], scopes: tuple[str, ...]) -> dict[str, Any]:
        response = self._call("POST", lineitems_url, scopes, data=json.dumps(item),
                              headers={"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"})
        return response.json()

    def memberships(self, url: str, scopes: tuple[str, ...], limit: int = 200, max_pages: int = 100) -> Iterator[dict[str, Any]]:
        """Every member, following `Link: <…>; rel="next"` pages (bounded)."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"limit": limit}
        for _ in range(max_pages):
            if not next_url:
                return
            response = self._call("GET", next_url, scopes, params=params,
                                  headers={"Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"})
            for member in response.json().get("members", []):
                yield member
            next_url = response.links.get("next", {}).get("url")
            params = None  # the next link carries its own query


def request_token(http: requests.Session, *, token_url: str, client_id: str, audience: str | None,
                  scopes: tuple[str, ...], sign: Callable[[dict[str, Any]], str]) -> Token:
    """OAuth2 client_credentials with a signed JWT assertion (LTI Security Framework)."""
    now = int(time.time())
    assertion = sign({
        "iss": client_id, "sub": client_id, "aud": audience or token_url,
        "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16),
    })
    try:
        response = http.post(token_url, timeout=TIMEOUT, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": " ".join(scopes),
        })
    except requests.RequestException as exc:
        raise PlatformUnavailable(f"cannot reach the LMS token endpoint: {type(exc).__name__}") from None
    if response.status_code in (400, 401, 403):
        # a refused client assertion is a registration problem: an admin fixes it, then the queued
        # scores must go through without anyone re-sending them, so retry (slowly) instead of failing
        raise PlatformUnavailable("the LMS refused the tool's access token request: " + _reason(response),
                                  status=response.status_code, retry_after=TOKEN_REFUSED_RETRY)
    data = check(response).json()
    token = data.get("access_token")
    if not token:
        raise PlatformUnavailable("the LMS token endpoint answered without an access_token")
    lifetime = float(data.get("expires_in") or 3600)
    return Token(token, time.time() + lifetime)


_local = threading.local()


def thread_session() -> requests.Session:
    """One keep-alive session per thread: connections are reused, sessions are not shared."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=8)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
