"""The learner pages' two small scripts in headless Chromium with the real CSP (same-origin files,
no inline script), a 390 px phone for matching and ordering questions, and the layout of the
public and registration pages."""
from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from learner_helpers import Learner, answer_form, attempt_by_key
from lti_helpers import Launcher, launch_base

pytestmark = pytest.mark.browser


def fields_by_question(app: Flask, key: str) -> list[list[tuple[str, str]]]:
    """The right answers' form fields, one list per question in paper order."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for name, value in answer_form(app, "m01", key):
        grouped.setdefault(name.split("-")[1], []).append((name, value))
    return list(grouped.values())


def give(page: Page, fields: list[tuple[str, str]]) -> None:
    """Answer one question as a person does: tick, click or choose in the select."""
    for name, value in fields:
        target = page.locator(f'[name="{name}"]')
        if target.first.evaluate("el => el.tagName") == "SELECT":
            target.select_option(value)
        else:
            page.locator(f'input[name="{name}"][value="{value}"]').check()


def test_answers_saved_by_the_script_come_back_in_another_browser(browser: Browser, launcher: Launcher,
                                                                   app: Flask) -> None:
    first = browser.new_context()
    second = browser.new_context()   # another device: no storage, no cookies in common
    try:
        learner = Learner.launch(launcher)
        page = first.new_page()
        page.goto(learner.base + "/m/m01/quiz")
        key = page.locator('input[name="attempt"]').input_value()
        questions = fields_by_question(app, key)
        for fields in questions[:4]:
            give(page, fields)
        expect(page.locator('#save-status[data-state="saved"][data-pending="0"]')).to_have_text(
            "Your answers are saved.", timeout=10_000)
        attempt, _ = attempt_by_key(app, key)
        assert len(attempt.draft) == 4
        page.close()   # she leaves half-way, without submitting

        elsewhere = Learner.launch(launcher)
        other = second.new_page()
        other.goto(elsewhere.base + "/m/m01/quiz")
        assert other.locator('input[name="attempt"]').input_value() == key
        for fields in questions[:4]:
            for name, value in fields:
                target = other.locator(f'[name="{name}"]')
                if target.first.evaluate("el => el.tagName") == "SELECT":
                    assert target.input_value() == value, name
                else:
                    assert other.locator(f'input[name="{name}"][value="{value}"]').is_checked(), name
        # she finishes there; submitting scores every answer, the four saved ones too
        for fields in questions[4:]:
            give(other, fields)
        with other.expect_navigation():
            other.get_by_role("button", name="Submit my answers").click()
        expect(other.locator(".score .big")).to_have_text("100%")
    finally:
        first.close()
        second.close()


def test_a_page_counts_as_read_when_scrolled_to_its_end(browser: Browser, launcher: Launcher, app: Flask) -> None:
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.lti.models import Launch
    from lti_tool.progress.models import Progress
    from lti_tool.runtime import runtime

    context = browser.new_context(viewport={"width": 800, "height": 500})
    try:
        learner = Learner.launch(launcher)
        page = context.new_page()
        page.goto(learner.base + "/m/m01/p/drivers-of-migration")
        end = page.locator("#page-end")
        expect(end).to_have_text("This page counts as read when you reach its end and go on.")
        with app.app_context():
            launch = db.session.get(Launch, runtime(app).refs.resolve(learner.ref))
            course_id, participant_id = launch.course_id, launch.participant_id

        def read_pages() -> list[str]:
            with app.app_context():
                return db.session.scalar(select(Progress.pages_read).where(
                    Progress.course_id == course_id, Progress.participant_id == participant_id))

        assert read_pages() == []   # opened, the end out of sight: not read
        end.scroll_into_view_if_needed()
        expect(page.locator('#page-end[data-read="1"]')).to_have_text("You have read this page.", timeout=10_000)
        assert read_pages() == ["drivers-of-migration"]
    finally:
        context.close()


def test_matching_and_ordering_fit_a_390px_phone(browser: Browser, launcher: Launcher) -> None:
    """t91's quiz has a matching and an ordering question: the descriptions are a lettered list the
    selects refer to, and nothing is cut off or wider than the screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True)
    try:
        learner = Learner.launch(launcher, module="t91")
        page = context.new_page()
        page.goto(learner.base + "/m/t91/quiz")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("ol.lettered li").count() >= 3
        clipped = page.evaluate("""() => {
            const problems = [];
            const canvas = document.createElement('canvas').getContext('2d');
            for (const select of document.querySelectorAll('form.quiz select')) {
                const style = getComputedStyle(select);
                canvas.font = style.font;
                const widest = Math.max(...[...select.options].map(o => canvas.measureText(o.text).width));
                const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
                if (widest > room) problems.push(`${select.id}: ${widest}px of text in ${room}px`);
                if (select.getBoundingClientRect().right > window.innerWidth) problems.push(`${select.id}: off screen`);
            }
            for (const el of document.querySelectorAll('form.quiz label, form.quiz li, form.quiz legend')) {
                if (el.scrollWidth > el.clientWidth + 1) problems.push(`${el.tagName} "${el.textContent.trim().slice(0, 40)}" overflows`);
                if (el.getBoundingClientRect().right > window.innerWidth + 0.5) problems.push(`${el.tagName} off screen`);
            }
            return problems;
        }""")
        assert clipped == []
        # every select of a matching row offers only the letters of the list above it
        letters = page.evaluate("""() => [...document.querySelectorAll('.row.match select')]
            .map(s => [...s.options].slice(1).map(o => o.text)).flat()""")
        assert letters and all(len(text) <= 2 for text in letters)
    finally:
        context.close()


def test_public_and_registration_pages_layout(browser: Browser, tool_server, launcher: Launcher) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(tool_server.url + "/")
        gaps = page.evaluate("""() => [...document.querySelectorAll('.catalogue li')].map(li => {
            const [code, title] = li.children;
            return title.getBoundingClientRect().left - code.getBoundingClientRect().right; })""")
        assert gaps and max(gaps) < 20, f"module titles sit {max(gaps)}px away from their codes"
        assert "Your LMS records your completion" not in page.locator("footer").inner_text()

        response = launcher.launch("03_id_token_teacher_resource_link.json")
        page.goto(tool_server.url + launch_base(response) + "/facilitator/modules")
        decoration = page.evaluate("""() => { const a = document.querySelector('.catalogue a');
            return [getComputedStyle(a).textDecorationLine,
                    getComputedStyle(a.lastElementChild).textDecorationLine,
                    a.getBoundingClientRect().left === a.firstElementChild.getBoundingClientRect().left]; }""")
        assert decoration == ["none", "underline", True]   # only the title is underlined, from its first letter

        config = phone.new_page()
        config.goto(tool_server.url + "/lti/config")
        assert config.evaluate("document.documentElement.scrollWidth") <= 390
        command = config.locator("pre.command")
        assert command.evaluate("el => getComputedStyle(el).whiteSpace") == "pre"   # never broken inside a word
        assert command.evaluate("el => el.scrollWidth > el.clientWidth")           # it scrolls instead
        text = config.locator("main").inner_text()
        for value in ("LTI 1.3", "Keyset URL", "Accept grades from the tool: always", "Content Selection URL"):
            assert value in text, value
        assert "Your LMS records your completion" not in config.locator("footer").inner_text()
    finally:
        context.close()
        phone.close()
