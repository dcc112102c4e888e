"""The learner pages in headless Chromium: axe-core audits, the phone width, and a keyboard-only
module completion inside the demo LMS's iframe (the tool on another site than the LMS).

axe-core (4.x) is the copy shipped inside the axe-playwright-python package (no npm, no network).
"""
from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

import pytest
from browser_support import audit
from flask import Flask
from learner_helpers import Learner, answer_form, attempt_by_key, submit_quiz
from lti_helpers import Launcher
from playwright.sync_api import Browser, Frame, Page, expect
from playwright.sync_api import Error as PlaywrightError

from lti_tool.content import QuestionType
from lti_tool.quizzes.engine import Paper
from lti_tool.runtime import runtime

pytestmark = pytest.mark.browser

def test_axe_audit_of_every_learner_page(audit_context, launcher: Launcher, app: Flask, tool_server) -> None:
    context, origins = audit_context
    learner = Learner.launch(launcher)
    page = context.new_page()
    found: dict[str, list] = {}

    def check(name: str, path: str) -> None:
        response = page.goto(learner.base + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        found[name] = audit(page)

    check("overview", "/m/m01/")
    check("page", "/m/m01/p/key-terms")
    check("quiz", "/m/m01/quiz")
    # a tampered answer: the form comes back with the error named (400), audited too
    page.evaluate("""() => { const radio = document.querySelector('form.quiz input[type=radio]');
                             radio.value = '9'; radio.checked = true; }""")
    with page.expect_navigation():
        page.click("form.quiz button[type=submit]")
    assert "Please check your answers" in page.content()
    found["quiz with an error"] = audit(page)
    result = submit_quiz(learner, app, correct=False)
    check("result", urlsplit(urljoin(learner.base, result.headers["Location"])).path[len(urlsplit(learner.base).path):])
    check("overview after an attempt", "/m/m01/")
    # another language, with the English fallback for content (lang attributes on content blocks)
    spanish = Learner.launch(launcher, sub="audit-es", **{
        "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {"locale": "es_mx"}})
    learner = spanish
    check("page in Spanish, content in English", "/m/t91/p/intro")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.evaluate("document.querySelector('article.page').lang") == "en"
    check("quiz in Spanish", "/m/m01/quiz")
    # a quiz with matching and ordering (the lettered list), a result with its checklist, a late submit
    learner = Learner.launch(launcher, sub="audit-t91", module="t91")
    check("quiz with matching and ordering", "/m/t91/quiz")
    key = page.locator('input[name="attempt"]').input_value()
    with app.app_context():
        from lti_tool.extensions import db
        from lti_tool.lti.models import Launch
        from lti_tool.models_base import utcnow
        from lti_tool.runtime import runtime

        db.session.get(Launch, runtime(app).refs.resolve(learner.ref)).expires_at = utcnow()
        db.session.commit()
    with page.expect_navigation():
        page.click("form.quiz button[type=submit]")
    assert "Your answers are kept" in page.content()
    found["answers kept after the session ended"] = audit(page)
    assert key

    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)
    tool_origin = tool_server.url
    assert set(origins) <= {tool_origin}, f"requests to other origins: {set(origins) - {tool_origin}}"


def test_pages_fit_a_360px_phone(browser: Browser, launcher: Launcher, app: Flask) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        learner = Learner.launch(launcher)
        page = context.new_page()
        follow = submit_quiz(learner, app)
        for path in ("/m/m01/", "/m/m01/p/forms-and-phases", "/m/m01/quiz", follow.headers["Location"]):
            page.goto(urljoin(learner.base + "/", path) if path.startswith("/l/") else learner.base + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path}: the page is {width}px wide on a 360px screen"
    finally:
        context.close()


# -- keyboard only, inside the demo LMS -----------------------------------------------------------

def tool_frame(page: Page) -> Frame:
    return next(f for f in page.frames if "/l/" in f.url)


def tab_to(page: Page, frame: Frame, test: str, *, limit: int = 120) -> None:
    """Press Tab until `test` (a JS expression on `el`, the focused element in the tool) is true."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        try:
            if frame.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({test}); }})()"):
                return
        except PlaywrightError:   # the frame was still loading a page: look again after the next Tab
            continue
    raise AssertionError(f"Tab never reached an element where {test}")


def press(page: Page, key: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def answer_with_keys(page: Page, frame: Frame, app: Flask, key: str) -> None:
    """Answer every question right, with Tab, Space and the arrow keys only."""
    attempt, _ = attempt_by_key(app, key)
    quiz = runtime(app).catalogue.get("m01").quiz("en")
    wanted: dict[str, list[str]] = {}
    for name, value in answer_form(app, "m01", key):
        wanted.setdefault(name, []).append(value)
    for pq in Paper.from_dict(attempt.paper).questions:
        q = quiz.question(pq.id)
        name = f"q-{q.id}"
        if q.type in (QuestionType.SINGLE, QuestionType.TRUE_FALSE):
            values = frame.eval_on_selector_all(f'input[name="{name}"]', "els => els.map(e => e.value)")
            tab_to(page, frame, f'el.name === "{name}"')
            at = values.index(wanted[name][0])
            press(page, "Space") if at == 0 else press(page, "ArrowDown", at)
        elif q.type is QuestionType.MULTIPLE:
            values = frame.eval_on_selector_all(f'input[name="{name}"]', "els => els.map(e => e.value)")
            for value in values:
                tab_to(page, frame, f'el.name === "{name}" && el.value === "{value}"')
                if value in wanted.get(name, []):
                    press(page, "Space")
        else:   # matching and ordering: one select per row, moved with the arrow keys
            rows = len(pq.left or pq.items)
            for row in range(1, rows + 1):
                field = f"{name}-{row}"
                tab_to(page, frame, f'el.id === "{field}"')
                press(page, "ArrowDown", int(wanted[field][0]))
    for name, values in wanted.items():
        checked = frame.eval_on_selector_all(
            f'[name="{name}"]', "els => els.filter(e => e.tagName === 'SELECT' ? e.value : e.checked).map(e => e.value)")
        assert sorted(checked) == sorted(values), f"{name}: the keys gave {checked}, wanted {values}"


def test_keyboard_only_module_completion_in_the_lms_iframe(demo_lms, browser: Browser, app: Flask) -> None:
    """Marcus, from Grenada, reads module 01 and passes its quiz in the LMS page, keyboard only."""
    context = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        page = context.new_page()
        page.goto(demo_lms.url + "/")
        page.get_by_label("Marcus Charles").check()          # the LMS's own page: any input will do
        page.get_by_role("button", name="Open Module 01 — The Global Context of Migration").click()
        expect(page.frame_locator("#tool-frame").locator("h1")).to_have_text(
            "The Global Context of Migration", timeout=15_000)
        frame = tool_frame(page)
        assert urlsplit(frame.url).netloc != urlsplit(page.url).netloc   # the tool is on another site

        # from the LMS page into the tool, to the first page, then through every page with "Next",
        # which is what counts a page as read without JavaScript (the last one leads to the quiz)
        tab_to(page, frame, "/\\/p\\/migration-today$/.test(el.href || '')")
        press(page, "Enter")
        summary = page.frame_locator("#tool-frame").locator(".toc-box summary")
        expect(summary).to_contain_text("Page 1 of 5")
        for n in range(2, 7):
            tab_to(page, frame, "el.classList.contains('pager-next')")
            press(page, "Enter")
            if n < 6:
                expect(page.frame_locator("#tool-frame").locator(".toc-box summary")).to_contain_text(f"Page {n} of 5")
        expect(page.frame_locator("#tool-frame").locator("h1")).to_contain_text("Quiz")
        frame = tool_frame(page)

        key = frame.eval_on_selector('input[name="attempt"]', "el => el.value")
        answer_with_keys(page, frame, app, key)
        tab_to(page, frame, "el.type === 'submit' && el.closest('form.quiz')")
        press(page, "Enter")

        result = page.frame_locator("#tool-frame")
        expect(result.locator("h1")).to_contain_text("Your result", timeout=10_000)
        expect(result.locator(".score .big")).to_have_text("100%")
        expect(result.locator(".score")).to_contain_text("Passed")
        expect(result.locator("main")).to_contain_text("Module completed")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_the_learner_path_in_spanish_and_french_passes_the_audit(audit_context, launcher: Launcher, app: Flask,
                                                                 lang: str) -> None:
    """The whole curriculum is translated: a learner reading in Spanish or French gets every step of a
    module in that language, lang set on the document and on nothing else, and no axe violation."""
    context, _ = audit_context
    learner = Learner.launch(launcher, sub=f"audit-path-{lang}", module="m13", **{
        "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {"locale": lang}})
    page = context.new_page()
    found: dict[str, list] = {}
    for name, path in (("overview", "/m/m13/"), ("page", "/m/m13/p/" + _first_page("m13", app)),
                       ("quiz", "/m/m13/quiz")):
        response = page.goto(learner.base + path)
        assert response is not None and response.status == 200, name
        assert page.evaluate("document.documentElement.lang") == lang
        # English only where it is English: the language switch's "English" and sources with no edition in
        # this language (further reading)
        english = page.locator("main [lang=en]:not(option):not(.reading a)")
        assert english.count() == 0, f"{name}: English content in a {lang} page: {english.all_inner_texts()}"
        found[name] = audit(page)
    result = submit_quiz(learner, app, "m13", correct=True)
    page.goto(urljoin(learner.base + "/", result.headers["Location"]))
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.locator("main [lang=en]:not(option):not(.reading a)").count() == 0
    found["result"] = audit(page)
    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)


def _first_page(module_id: str, app: Flask) -> str:
    with app.app_context():
        return runtime(app).catalogue.get(module_id).pages("en")[0][0].id
