"""Which language and time zone the interface uses.

Language: the learner's choice, then the launch locale, then the browser's, then English.
Time zone: the person's LMS profile zone (tool-level custom `person_timezone=$Person.address.timezone`)
when it is a real IANA zone, else EMM_DISPLAY_TIMEZONE. Browsers are not asked: the zone must be
right without JavaScript too, and Moodle sends "99" ("the site's zone") for most people.
"""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, has_request_context, request

SUPPORTED = ("en", "es", "fr")


def select_locale() -> str:
    if not has_request_context():
        return "en"   # the command line and the grade worker speak English
    launch = g.get("launch")
    if launch is not None:
        return launch.locale
    return request.accept_languages.best_match(SUPPORTED) or "en"


@lru_cache(maxsize=256)
def known_zone(name: str) -> bool:
    """Whether `name` is an IANA zone this machine knows (not "99", not a path)."""
    if not name or len(name) > 64 or name.startswith("/") or ".." in name or "/" not in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def launch_timezone(claims: dict | None) -> str | None:
    """The zone the LMS gives for the person of a launch, if it is one we can use."""
    from .lti.claims import Claim

    custom = (claims or {}).get(Claim.CUSTOM)
    value = custom.get("person_timezone") if isinstance(custom, dict) else None
    return value.strip() if isinstance(value, str) and known_zone(value.strip()) else None


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["EMM"].display_timezone
    launch = g.get("launch")
    if launch is not None:
        zone = launch_timezone(launch.launch.claims)
        if zone:
            return zone
    return current_app.config["EMM"].display_timezone


def zone_label() -> str:
    """The zone times are shown in, for the reader: 'Atlantic Time (GMT-04:00)'."""
    from babel.dates import format_datetime, get_timezone_name
    from flask_babel import get_locale, get_timezone

    from .models_base import utcnow

    zone, locale = get_timezone(), get_locale()
    return f"{get_timezone_name(zone, 'long', locale=locale)} ({format_datetime(utcnow(), 'ZZZZ', tzinfo=zone, locale=locale)})"
