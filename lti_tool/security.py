"""Response headers: strict CSP that still lets registered LMSs frame the tool."""
from __future__ import annotations

from flask import Response, g

from .lti.login import origin_of
from .platforms.directory import directory

_CSP_PREFIX = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "object-src 'none'; base-uri 'none'; frame-ancestors ")
#: (directory generation, policy): rebuilt only when the platform directory reloads
_cache: list[tuple[int, str]] = []


def _content_security_policy() -> str:
    """frame-ancestors is 'self' plus the origin of every registered platform, read from the
    per-process platform directory (so registering a platform clears it at the same time)."""
    try:
        platforms = directory.all()
    except Exception:  # noqa: BLE001 - the database is down: keep the last policy (the page is a 503 anyway)
        return _cache[0][1] if _cache else _CSP_PREFIX + "'self'"
    if _cache and _cache[0][0] == directory.generation:
        return _cache[0][1]
    origins = sorted({origin_of(url) for p in platforms for url in (p.auth_login_url, p.issuer) if url})
    value = _CSP_PREFIX + " ".join(["'self'", *origins])
    _cache[:] = [(directory.generation, value)]
    return value


_FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # launch references travel in URLs: never leak them to other sites
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
)


def security_headers(frame_origin: str | None = None, form_origin: str | None = None) -> list[tuple[str, str]]:
    """The headers every response carries unless its view set them.

    `frame_origin` may also frame this response: an LMS that is registering the tool is not yet a
    registered platform, and shows the registration page in a frame of its own. Forms post to this
    tool only (`form-action 'self'`), and to `form_origin` when a page sends one to the LMS (the deep
    linking answer, whose URL was checked against the platform's hosts).
    """
    policy = _content_security_policy()
    if frame_origin:
        policy += " " + frame_origin
    policy += "; form-action 'self'" + (" " + form_origin if form_origin else "")
    return [("Content-Security-Policy", policy), *_FIXED_HEADERS]


def apply_security_headers(response: Response) -> Response:
    """Add each header the view did not set itself (one pass over the headers, not one per header)."""
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    for key, value in security_headers(g.get("emm_frame_origin"), g.get("emm_form_origin")):
        if key.lower() not in present:
            headers.add(key, value)
    return response
