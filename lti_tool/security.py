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


def _frame_ancestors() -> str:
    """'self' plus the origin of every registered platform, refreshed once a minute per process."""
    now = time.monotonic()
    hit = _cache.get("value")
    if hit and now - hit[0] < _FRAME_ANCESTORS_TTL:
        return hit[1]
    urls = db.session.execute(select(Platform.auth_login_url, Platform.issuer)).all()
    origins = sorted({origin_of(url) for row in urls for url in row if url})
    value = " ".join(["'self'", *origins])
    _cache["value"] = (now, value)
    return value


def reset_frame_ancestors_cache() -> None:
    """Registering a platform calls this so its LMS may frame the tool at once (in this process)."""
    _cache.clear()


def apply_security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors " + _frame_ancestors(),
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # launch references travel in URLs: never leak them to other sites
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
