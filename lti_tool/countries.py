"""ISO 3166-1 country codes: validated with pycountry, named in the reader's language with Babel (CLDR).

English names come from pycountry (ISO's names, as the gradebook comment has always shown them:
"Saint Vincent and the Grenadines"); Spanish and French names from CLDR's territory names
("San Vicente y las Granadinas", "Saint-Vincent-et-les Grenadines"). The rollout countries
(`EMM_ROLLOUT_COUNTRIES`) come first in pickers and appear in every report, with 0 when empty.
"""
from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale

#: the first rollout: Antigua and Barbuda, Grenada, Saint Vincent and the Grenadines (the default of
#: EMM_ROLLOUT_COUNTRIES; the running app reads `rollout_countries()`)
ROLLOUT = ("AG", "GD", "VC")


class InvalidCountry(ValueError):
    """A value that is not an ISO 3166-1 alpha-2 code; the message says what was given."""


@lru_cache(maxsize=2048)
def country_name(code: str, lang: str = "en") -> str:
    """The country's name in `lang` (en, es, fr); InvalidCountry for a code ISO does not assign."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        raise InvalidCountry(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    if lang != "en":
        try:
            local = Locale.parse(lang).territories.get(country.alpha_2)
        except (ValueError, LookupError):
            local = None
        if local:
            return local
    return getattr(country, "common_name", None) or country.name


def ui_lang() -> str:
    """The interface language of the current request (English outside a request)."""
    from flask import has_request_context

    if not has_request_context():
        return "en"
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "en"


def local_country_name(code: str | None) -> str:
    """The name in the reader's language, '' for no code."""
    return country_name(code, ui_lang()) if code else ""


def normalize_country(value: str | None) -> str | None:
    """An upper-case alpha-2 code, None for empty; InvalidCountry for anything else."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidCountry(f"{value.strip()!r} is not an ISO 3166-1 alpha-2 country code (two letters, e.g. GD)")
    country_name(code)  # raises for unassigned codes such as XX
    return code


def rollout_countries() -> tuple[str, ...]:
    """EMM_ROLLOUT_COUNTRIES of the running app (the default outside one)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return ROLLOUT
    return current_app.config["EMM"].rollout_countries


@lru_cache(maxsize=32)
def _choices(first: tuple[str, ...], lang: str) -> tuple[tuple[str, str], ...]:
    rest = sorted(((c.alpha_2, country_name(c.alpha_2, lang)) for c in pycountry.countries
                   if c.alpha_2 not in first), key=lambda pair: sort_key(pair[1]))
    return tuple((code, country_name(code, lang)) for code in first) + tuple(rest)


def sort_key(name: str) -> str:
    """Alphabetical order that ignores accents and case ("Émirats" among the E's)."""
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(ch))


def country_choices() -> tuple[tuple[str, str], ...]:
    """(code, name) pairs in the reader's language: the rollout countries, then every other by name."""
    return _choices(rollout_countries(), ui_lang())


def label(code: str | None, lang: str = "en") -> str:
    """'Grenada (GD)', or '' when unknown (English unless asked: the gradebook comment uses it)."""
    return f"{country_name(code, lang)} ({code})" if code else ""
