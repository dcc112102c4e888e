"""Which country (and agency) a completion counts for.

First that applies: the activity's custom `country` → the LMS profile country (custom
`person_country`, which Moodle fills from `$Person.address.country`; kept per enrolment, so one
course's custom parameters never change another's) → the learner's own answer.
Empty values and unsubstituted variables (`$Person.address.country` sent back literally) mean
"unknown"; a value that is not an ISO 3166-1 alpha-2 code is refused and never stored.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from .countries import InvalidCountry, normalize_country

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attribution:
    country: str | None
    source: str | None  # activity | profile | learner
    agency: str | None


def substituted(value: Any) -> str | None:
    """The text of a custom parameter the LMS really filled in, else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or value.startswith("$"):
        return None
    return value


def custom_country(custom: Mapping[str, Any], key: str) -> tuple[str | None, str | None]:
    """(code, problem) for one custom parameter: a valid code, or a sentence naming what is wrong."""
    raw = substituted(custom.get(key))
    if raw is None:
        return None, None
    try:
        return normalize_country(raw), None
    except InvalidCountry:
        # repr and a bound: the value comes from the LMS and goes into a log line
        return None, f"The custom parameter {key}={raw[:64]!r} was ignored: it is not an ISO 3166-1 alpha-2 country code."


def attribute(*, activity_country: str | None, profile_country: str | None, chosen_country: str | None,
              agency: str | None) -> Attribution:
    for code, source in ((activity_country, "activity"), (profile_country, "profile"), (chosen_country, "learner")):
        if code:
            return Attribution(code, source, agency)
    return Attribution(None, None, agency)


def asks_country(*, asked: bool, chosen_country: str | None, activity_country: str | None,
                 profile_country: str | None) -> bool:
    """Ask the learner for their country once, and only when neither the activity nor the LMS
    profile (in this course) gives one."""
    return not (asked or chosen_country or activity_country or profile_country)
