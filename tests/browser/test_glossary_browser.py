"""The glossary in headless Chromium: axe-core audits in three languages (and a page whose terms link
to it), the lang of each part, a jump by letter, the 360 px phone, and printing without navigation."""
from __future__ import annotations

import json

import pytest
from browser_support import audit
from learner_helpers import PRESENTATION, Learner
from lti_helpers import Launcher
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser


def test_axe_audit_of_the_glossary_in_each_language(audit_context, launcher: Launcher, tool_server) -> None:
    context, origins = audit_context
    page = context.new_page()
    found: dict[str, list] = {}
    english = Learner.launch(launcher, sub="axe-glossary-en")
    french = Learner.launch(launcher, sub="axe-glossary-fr", **{PRESENTATION: {"locale": "fr_ca"}})
    for name, learner, path, ui, content in [
        ("en", english, "/glossary/en", "en", "en"),
        ("es in an English interface", english, "/glossary/es", "en", "es"),
        ("fr", french, "/glossary/fr", "fr", "fr"),
    ]:
        response = page.goto(learner.base + path)
        assert response is not None and response.status == 200, name
        assert page.evaluate("document.documentElement.lang") == ui
        assert page.evaluate("document.querySelector('div.glossary').closest('[lang]').lang") == content
        found[name] = audit(page)
    # a page of a module whose terms link to the glossary; each link says where it goes
    response = page.goto(english.base + "/m/m01/p/key-terms")
    assert response is not None and response.status == 200
    term = page.locator("article.page a.term").first
    assert term.evaluate("a => a.textContent.trim().endsWith('(see the glossary)')")
    found["page with term links"] = audit(page)

    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)
    assert set(origins) <= {tool_server.url}


def test_a_term_link_and_a_letter_land_on_their_target(browser: Browser, launcher: Launcher) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        learner = Learner.launch(launcher, sub="glossary-phone")
        page = context.new_page()
        page.goto(learner.base + "/m/m01/p/key-terms")
        first = page.locator("article.page a.term").first
        target = first.get_attribute("href").split("#")[1]
        with page.expect_navigation():
            first.click()
        assert page.url.endswith(f"/glossary/en#{target}")
        assert page.evaluate("document.querySelector(':target').id") == target
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        letter = page.locator("nav.letters a").nth(2)
        anchor = letter.get_attribute("href")[1:]
        letter.click()
        assert page.evaluate("[document.querySelector(':target').tagName, document.querySelector(':target').id]") == [
            "H2", anchor]
    finally:
        context.close()


def test_the_glossary_prints_without_navigation(browser: Browser, launcher: Launcher) -> None:
    context = browser.new_context()
    try:
        learner = Learner.launch(launcher, sub="glossary-print")
        page = context.new_page()
        page.goto(learner.base + "/glossary/en")
        for selector in ("header.top", "nav.letters", "nav.glossary-langs", "footer.foot", "p.no-print"):
            assert page.locator(selector).is_visible(), selector
        page.emulate_media(media="print")
        for selector in ("header.top", "nav.letters", "nav.glossary-langs", "footer.foot", "p.no-print"):
            assert not page.locator(selector).is_visible(), selector
        assert page.locator("h1").is_visible() and page.locator("dl dt").first.is_visible()
        assert page.locator("dd").last.is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    finally:
        context.close()
