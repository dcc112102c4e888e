"""The LTI Advantage calls the tool makes: OAuth2 tokens, AGS line items and scores, NRPS pages.

Each goes through `transport.fetch`, so the seam's rules hold for all of them (the platform's hosts,
https, no redirects, a deadline, a size cap). Failures are the tree in `errors.py`; the reason a
user sees names the status and the LMS's reason as the LMS states it (the status line's reason
phrase, where Moodle puts it, or the standard fields of a JSON error), never the raw body.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from .errors import PlatformAuthError, PlatformRejected, PlatformUnavailable
from .hosts import HostPolicy
from .transport import Answer, fetch

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: seconds before trying again after the LMS refused our token request (a registration problem)
TOKEN_REFUSED_RETRY = 300.0
#: size caps: a token answer, an AGS answer, one NRPS page
TOKEN_LIMIT = 64 * 1024
AGS_LIMIT = 1024 * 1024
NRPS_PAGE_LIMIT = 4 * 1024 * 1024
#: the longest LMS reason shown
REASON_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


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


def _clean(text: str) -> str:
    return _UNSAFE.sub(" ", text).strip()[:REASON_CHARS]


def lms_reason(status: int, reason_phrase: str, body: bytes) -> str:
    """The LMS's own reason for a refusal, from where LMSs put it; '' when it gave none.

    Moodle 4.5 answers a refused score `400 Incorrect score received` with a body of `[]`: the
    reason is the status line's phrase (when it is not the standard one). OAuth2 and most JSON
    APIs put it in `error_description`/`error`/`reason`/`message` of a JSON object. Other bodies
    (HTML error pages, text) are never shown.
    """
    parts: list[str] = []
    try:
        standard = HTTPStatus(status).phrase
    except ValueError:
        standard = ""
    phrase = _clean(reason_phrase or "")
    if phrase and phrase.lower() != standard.lower():
        parts.append(phrase)
    try:
        data = json.loads(body) if body and len(body) <= 65536 else None
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        for key in ("reason", "error_description", "error", "message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                text = _clean(value)
                if text and text not in parts:
                    parts.append(text)
                break
    return "; ".join(parts)


def describe_refusal(status: int, reason_phrase: str = "", body: bytes = b"") -> str:
    """'HTTP 400 (Incorrect score received)': the status and the LMS's reason, never its body."""
    reason = lms_reason(status, reason_phrase, body)
    return f"HTTP {status} ({reason})" if reason else f"HTTP {status}"


def check(answer: Answer) -> Answer:
    """Raise our error for anything but 2xx."""
    status = answer.status
    if 200 <= status < 300:
        return answer
    reason = describe_refusal(status, answer.reason, answer.body)
    if status == 429 or status >= 500:
        raise PlatformUnavailable(reason, status=status, retry_after=retry_after_seconds(answer.headers.get("Retry-After")))
    if status in (401, 403):
        raise PlatformAuthError(reason, status=status)
    raise PlatformRejected(reason, status=status)


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: float  # epoch seconds


class PlatformClient:
    """Calls for one platform. `token_source(scopes, refused)` returns a cached or fresh access token;
    `refused` is the token the LMS just answered 401 to (None on a first try). Every URL is checked
    against the platform's `policy` before a token is attached to it."""

    def __init__(self, policy: HostPolicy, token_source: Callable[[tuple[str, ...], str | None], str]):
        self.policy = policy
        self._token_source = token_source

    def _call(self, method: str, url: str, scopes: tuple[str, ...], *, what: str, limit: int = AGS_LIMIT,
              **kwargs: Any) -> Answer:
        self.policy.check(url, what)  # before any token is fetched or sent
        headers = dict(kwargs.pop("headers", {}))
        refused: str | None = None
        for attempt in (1, 2):
            token = self._token_source(scopes, refused)  # second try: anything but the refused token
            headers["Authorization"] = f"Bearer {token}"
            answer = fetch(method, url, self.policy, what=what, limit=limit, headers=headers, **kwargs)
            try:
                return check(answer)
            except PlatformAuthError:
                if attempt == 2 or answer.status != 401:
                    raise
                refused = token
                log.info("token refused by %s; fetching a new one", urlsplit(url).netloc)
        raise AssertionError("unreachable")

    def post_score(self, lineitem_url: str, score: dict[str, Any], scopes: tuple[str, ...]) -> Answer:
        return self._call("POST", service_url(lineitem_url, "scores"), scopes, what="the score",
                          data=json.dumps(score), headers={"Content-Type": "application/vnd.ims.lis.v1.score+json"})

    def line_items(self, lineitems_url: str, scopes: tuple[str, ...], **filters: str) -> list[dict[str, Any]]:
        answer = self._call("GET", lineitems_url, scopes, what="the grade columns", params=filters,
                            headers={"Accept": "application/vnd.ims.lis.v2.lineitemcontainer+json"})
        data = answer.json("the grade columns")
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    def create_line_item(self, lineitems_url: str, item: dict[str, Any], scopes: tuple[str, ...]) -> dict[str, Any]:
        answer = self._call("POST", lineitems_url, scopes, what="a new grade column", data=json.dumps(item),
                            headers={"Content-Type": "application/vnd.ims.lis.v2.lineitem+json"})
        data = answer.json("a new grade column")
        if not isinstance(data, dict):
            raise PlatformRejected("the LMS's answer to a new grade column is not a JSON object")
        return data

    def memberships(self, url: str, scopes: tuple[str, ...], limit: int = 200, max_pages: int = 100) -> Iterator[dict[str, Any]]:
        """Every member, following `Link: <…>; rel="next"` pages (bounded; each within the platform's hosts)."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"limit": limit}
        for _ in range(max_pages):
            if not next_url:
                return
            answer = self._call("GET", next_url, scopes, what="the course roster", limit=NRPS_PAGE_LIMIT,
                                params=params,
                                headers={"Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"})
            data = answer.json("the course roster")
            members = data.get("members") if isinstance(data, dict) else None
            for member in members if isinstance(members, list) else []:
                if isinstance(member, dict):
                    yield member
            next_url = answer.links.get("next")
            params = None  # the next link carries its own query


def request_token(policy: HostPolicy, *, token_url: str, client_id: str, audience: str | None,
                  scopes: tuple[str, ...], sign: Callable[[dict[str, Any]], str]) -> Token:
    """OAuth2 client_credentials with a signed JWT assertion (LTI Security Framework)."""
    now = int(time.time())
    assertion = sign({
        "iss": client_id, "sub": client_id, "aud": audience or token_url,
        "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(16),
    })
    answer = fetch("POST", token_url, policy, what="an access token", limit=TOKEN_LIMIT, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion, "scope": " ".join(scopes),
    })
    if answer.status in (400, 401, 403):
        # a refused client assertion is a registration problem: an admin fixes it, then the queued
        # scores must go through without anyone re-sending them, so retry (slowly) instead of failing
        raise PlatformUnavailable("the LMS refused the tool's access token request: "
                                  + describe_refusal(answer.status, answer.reason, answer.body),
                                  status=answer.status, retry_after=TOKEN_REFUSED_RETRY)
    data = check(answer).json("an access token")
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise PlatformUnavailable("the LMS token endpoint answered without an access_token")
    try:
        lifetime = float(data.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600.0
    return Token(token, time.time() + max(1.0, lifetime))
