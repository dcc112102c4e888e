"""The en, es and fr catalogues are complete for every UI string, and the compiled .mo files match.

When one of these fails after you add or change a UI string, run the commands in
lti_tool/translations/README.md (extract, update, translate, compile) and commit .po and .mo.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "lti_tool" / "translations"
LANGUAGES = ("en", "es", "fr")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
HOW_TO_FIX = "see lti_tool/translations/README.md: extract, update, translate, compile"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@cache
def source_messages() -> dict[str, str]:
    """Every msgid the code and templates pass to gettext, with where it was first found."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@cache
def catalogue(lang: str) -> Catalog:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, (tuple, list)) else message.id


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def test_sources_have_ui_strings() -> None:
    assert len(source_messages()) > 150
    assert "Continue where you left off" in source_messages()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ui_string_is_in_the_catalogue(lang: str) -> None:
    known = {_key(m) for m in catalogue(lang) if m.id}
    missing = {msgid: where for msgid, where in source_messages().items() if msgid not in known}
    assert not missing, f"{lang}: {len(missing)} UI strings missing ({HOW_TO_FIX}):\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1]))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_untranslated_or_fuzzy_message(lang: str) -> None:
    bad = [m.id for m in catalogue(lang) if m.id and (m.fuzzy or not all(s.strip() for s in _strings(m)))]
    assert not bad, f"{lang}: untranslated or fuzzy ({HOW_TO_FIX}): {bad}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang: str) -> None:
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, tuple) else [message.id]
        wanted = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in _strings(message):
            got = set(PLACEHOLDER.findall(string))
            assert got <= wanted, f"{lang}: {string!r} uses placeholders not in {ids[0]!r}"
            if not isinstance(message.id, tuple):
                assert got == wanted, f"{lang}: {string!r} drops placeholders of {ids[0]!r}"
            if wanted or "%%" in ids[0]:   # formatted at runtime: a stray % would break the page
                string % {name: 1 for name in wanted}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang: str) -> None:
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {_key(m): tuple(_strings(m)) for m in read_mo(mo) if m.id}
    source = {_key(m): tuple(_strings(m)) for m in catalogue(lang) if m.id}
    stale = sorted(k for k in source if compiled.get(k) != source[k])
    assert not stale and set(compiled) == set(source), (
        f"{lang}: messages.mo is out of date with messages.po for {stale[:5]} (run pybabel compile)")
