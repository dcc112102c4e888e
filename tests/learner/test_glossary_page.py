"""The learner's glossary page over real HTTP from real launches: each language, the lang attributes,
letters to jump to, module links that resolve, term links from pages that land on an entry, the
navigation link, refusals, and the page budget."""
from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin

import pytest
from flask import Flask
from learner_helpers import PRESENTATION, Learner
from lti_helpers import Launcher

from lti_tool.runtime import runtime

BUDGET = 50 * 1024


@pytest.fixture
def learner(launcher: Launcher) -> Learner:
    return Learner.launch(launcher, sub="glossary-reader")


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_the_glossary_in_each_language(learner: Learner, app: Flask, lang: str) -> None:
    response = learner.get(f"/glossary/{lang}")
    assert response.status_code == 200
    html = response.text
    glossary = runtime(app).catalogue.glossary
    assert re.search(r'<html lang="en">', html)          # the interface stays English
    content = re.search(r'<div class="glossary"( lang="(\w\w)")?>', html)
    assert content is not None and content.group(2) == (None if lang == "en" else lang)
    assert "<h1>Glossary</h1>" in html
    # every entry once, with its headword in this language and its definition
    for entry in glossary:
        text = entry.text(lang)
        assert html.count(f'<dt id="{entry.id}">') == 1, entry.id
        assert f"<dfn>{text.term}</dfn>".replace("'", "&#39;") in html, (entry.id, lang)
    # letters to jump to: each one targets a heading, in alphabetical order
    letters = re.search(r'<nav class="letters"[^>]*>(.*?)</nav>', html, re.DOTALL).group(1)
    anchors = re.findall(r'href="#([^"]+)">([^<]+)</a>', letters)
    assert [a for a, _ in anchors] == [l.anchor for l in glossary.letters(lang)]
    for anchor, letter in anchors:
        assert f'<h2 id="{anchor}">{letter}</h2>' in html
    # the other languages, named in their own language
    assert re.search(r'<a href="es" lang="es" hreflang="es"[^>]*>Español</a>', html)
    assert re.search(rf'<a href="{lang}" lang="{lang}" hreflang="{lang}" aria-current="page">', html)


def test_module_links_of_the_entries_resolve_under_the_launch(learner: Learner) -> None:
    page = learner.get("/glossary/fr")
    targets = sorted(set(re.findall(r'<a href="(\.\./m/m\d\d/)">', page.text)))
    assert len(targets) >= 15
    for href in targets:
        module = learner.http.get(urljoin(page.url, href), timeout=10)
        assert module.status_code == 200, href
        assert module.url.startswith(learner.base + "/m/m")


def test_term_links_in_pages_land_on_an_entry(learner: Learner, app: Flask) -> None:
    with app.app_context():
        pages = [(m.id, p.id) for m in runtime(app).catalogue if m.is_complete for p in m.pages("en")[0]]
    glossaries: dict[str, set[str]] = {}
    linked = 0
    for module_id, page_id in pages[:12]:
        page = learner.get(f"/m/{module_id}/p/{page_id}")
        links = re.findall(r'<a href="([^"]+)" class="term">(.*?)<span class="sr-only"> \(see the glossary\)</span></a>',
                           page.text, re.DOTALL)
        targets = [urldefrag(urljoin(page.url, href)) for href, _ in links]
        # once per term on a page
        assert len({t.fragment for t in targets}) == len(targets), (module_id, page_id)
        for target in targets:
            if target.url not in glossaries:
                response = learner.http.get(target.url, timeout=10)
                assert response.status_code == 200 and target.url == learner.base + "/glossary/en"
                glossaries[target.url] = ids_in(response.text)
            assert target.fragment in glossaries[target.url], (module_id, page_id, target.fragment)
        linked += len(links)
        # never inside a heading
        for heading in re.findall(r"<h[1-6][^>]*>.*?</h[1-6]>", page.text, re.DOTALL):
            assert 'class="term"' not in heading
    assert linked > 30


def test_the_navigation_links_to_the_glossary_in_the_interface_language(launcher: Launcher) -> None:
    spanish = Learner.launch(launcher, sub="glossary-es", **{PRESENTATION: {"locale": "es_mx"}})
    overview = spanish.get("/m/m01/").text
    nav = re.search(r'<nav class="learner-nav"[^>]*>(.*?)</nav>', overview, re.DOTALL).group(1)
    assert nav == f'<a href="/l/{spanish.ref}/glossary/es">Glosario</a>'
    page = spanish.get("/glossary/es").text
    assert '<html lang="es">' in page and '<div class="glossary">' in page and "<h1>Glosario</h1>" in page
    assert f'<a href="/l/{spanish.ref}/glossary/es" aria-current="page">Glosario</a>' in page
    # the Spanish learner reading the English glossary: the nav link is not the current page
    english = spanish.get("/glossary/en").text
    assert f'<a href="/l/{spanish.ref}/glossary/es">Glosario</a>' in english
    assert '<div class="glossary" lang="en">' in english
    assert "Módulos:" not in english and "Modules:" in english   # the entries speak their own language


def test_refusals(learner: Learner, launcher: Launcher) -> None:
    unknown = learner.get("/glossary/pt")
    assert unknown.status_code == 404 and "Choose English, Español or Français" in unknown.text
    forged = learner.http.get(learner.tool_url + "/l/not-a-launch/glossary/en", timeout=10)
    assert 400 <= forged.status_code < 500
    assert "glossary-reader" not in forged.text


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_the_glossary_stays_within_the_page_budget(learner: Learner, lang: str) -> None:
    page = learner.get(f"/glossary/{lang}")
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page.text)
    assert sheets and not re.search(r"<script", page.text)
    total = len(page.content) + sum(len(learner.http.get(urljoin(page.url, s), timeout=10).content) for s in sheets)
    assert total < BUDGET, f"{lang}: {total} bytes of HTML+CSS"
