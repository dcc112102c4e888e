"""ISO 3166-1 country codes and names from pycountry, with the rollout countries first."""
from __future__ import annotations

from functools import lru_cache

import pycountry

#: the first rollout: Antigua and Barbuda, Grenada, Saint Vincent and the Grenadines
ROLLOUT = ("AG", "GD", "VC")


class InvalidCountry(ValueError):
    """A value that is not an ISO 3166-1 alpha-2 code; the message says what was given."""


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        raise InvalidCountry(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return getattr(country, "common_name", None) or country.name


def normalize_country(value: str | None) -> str | None:
    """An upper-case alpha-2 code, None for empty; InvalidCountry for anything else."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidCountry(f"{value.strip()!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. GD)")
    country_name(code)  # raises for unassigned codes such as XX
    return code


@lru_cache(maxsize=1)
def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) pairs: the rollout countries, then every other country by name."""
    rest = sorted(
        ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries
         if c.alpha_2 not in ROLLOUT),
        key=lambda pair: pair[1],
    )
    return tuple((code, country_name(code)) for code in ROLLOUT) + tuple(rest)


def label(code: str | None) -> str:
    """'Grenada (GD)', or '' when unknown."""
    return f"{country_name(code)} ({code})" if code else ""
