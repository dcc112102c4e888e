"""Response headers: strict CSP that still lets registered LMSs frame the tool."""
from __future__ import annotations

import time

from flask import Response
from sqlalchemy import select

from .extensions import db
from .lti.login import origin_of
from .platforms.models import Platform

_FRAME_ANCESTORS_TTL = 60.0
_cache: dict[str, tuple[float, str]] = {}


_CSP_PREFIX = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "object-src 'none'; base-uri 'none'; frame-ancestors ")


def _content_security_policy() -> str:
    """The policy; frame-ancestors is 'self' plus the origin of every registered platform, refreshed
    once a minute per process (the whole string is built once per refresh)."""
    now = time.monotonic()
    hit = _cache.get("value")
    if hit and now - hit[0] < _FRAME_ANCESTORS_TTL:
        return hit[1]
    urls = db.session.execute(select(Platform.auth_login_url, Platform.issuer)).all()
    origins = sorted({origin_of(url) for row in urls for url in row if url})
    value = _CSP_PREFIX + " ".join(["'self'", *origins])
    _cache["value"] = (now, value)
    return value


def reset_frame_ancestors_cache() -> None:
    """Registering a platform calls this so its LMS may frame the tool at once (in this process)."""
    _cache.clear()


_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # launch references travel in URLs: never leak them to other sites
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
)


def apply_security_headers(response: Response) -> Response:
    """Add each header the view did not set itself (one pass over the headers, not one per header)."""
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", _content_security_policy())
    for key, value in _FIXED_HEADERS:
        if key.lower() not in present:
            headers.add(key, value)
    return response
