"""Facilitator pages in headless Chromium: session mode's live panel (two browsers), the quiz gate,
charts without JavaScript, axe audits (every impact for the landmarks), 390 px phones, page weight."""
from __future__ import annotations

import json
import re

import pytest
from browser_support import audit, axe_source
from flask import Flask
from playwright.sync_api import Browser, expect

from facilitator_support import facilitator, learner, submit_quiz
from lti_tool.runtime import runtime
from security_support import ADMIN, ROLES

pytestmark = pytest.mark.browser
BUDGET = 50 * 1024


def page_ids(app: Flask) -> list[str]:
    return [p.id for p in runtime(app).catalogue.get("m01").pages("en")[0]]


def test_the_panel_follows_a_learner_from_page_2_to_page_3(browser: Browser, app: Flask, launcher) -> None:
    ids = page_ids(app)
    mover = learner(launcher, "B-1", "Maya Mover", country="GD")
    staff = facilitator(launcher)
    fac_context, learner_context = browser.new_context(), browser.new_context()
    try:
        fac = fac_context.new_page()
        fac.goto(staff.base + f"/facilitator/session/m01/p/{ids[0]}")
        panel = fac.locator("#live-list")
        expect(panel).to_have_text("", timeout=1000)
        reader = learner_context.new_page()
        reader.goto(mover.base + f"/m/m01/p/{ids[1]}")
        expect(panel).to_contain_text("Maya Mover page 2 of 5", timeout=5000)
        reader.locator("button.pager-next").click()   # "Next" at the page's end: read, then page 3
        reader.wait_for_url(re.compile(f"/p/{ids[2]}$"))
        # no reload on the facilitator's side: the panel redraws itself within 5 seconds
        expect(panel).to_contain_text("Maya Mover page 3 of 5", timeout=5000)
        expect(fac.locator("#live-count")).to_have_text("1 learner active in the last 2 minutes")
    finally:
        fac_context.close()
        learner_context.close()


def test_closing_the_quiz_stops_a_learner_from_starting_it(browser: Browser, launcher) -> None:
    pupil = learner(launcher, "B-2", "Noor Waiting", country="VC")
    staff = facilitator(launcher)
    fac_context, learner_context = browser.new_context(), browser.new_context()
    try:
        fac = fac_context.new_page()
        fac.goto(staff.base + "/facilitator/session/m01/")
        fac.get_by_role("button", name="Close the quiz").click()
        expect(fac.locator("#quiz-state")).to_contain_text("The quiz is closed: learners cannot start it.")
        page = learner_context.new_page()
        page.goto(pupil.base + "/m/m01/")
        expect(page.get_by_text("The quiz opens when your facilitator says so.")).to_be_visible()
        expect(page.get_by_role("link", name="Take the quiz")).to_have_count(0)
        page.goto(pupil.base + "/m/m01/quiz")
        expect(page.get_by_role("heading", name="The quiz is not open yet")).to_be_visible()
        expect(page.locator("form.quiz")).to_have_count(0)
        fac.get_by_role("button", name="Open the quiz").click()
        page.get_by_role("link", name="Check again").click()
        expect(page.locator("form.quiz")).to_have_count(1)
    finally:
        fac_context.close()
        learner_context.close()


def test_staff_pages_pass_axe_fit_a_phone_and_need_no_script(browser: Browser, app: Flask, launcher,
                                                             tool_server) -> None:
    ids = page_ids(app)
    one = learner(launcher, "B-3", "Rae Reader", country="AG", agency="Immigration Department")
    one.get(f"/m/m01/p/{ids[1]}")
    two = learner(launcher, "B-4", "Sol Failer", country="GD", agency="Ministry of Labour")
    result = submit_quiz(two, app, correct=False)
    attempt = result.headers["Location"].rsplit("/", 1)[1]
    staff = facilitator(launcher)
    admin = learner(launcher, "B-ADM", "Ada Admin", **{ROLES: ADMIN})
    pid = staff.get("/facilitator/m/m01/").text.split("/facilitator/learner/")[1].split('"')[0]
    pages = {
        "class view": staff.base + "/facilitator/m/m01/",
        "course overview": staff.base + "/facilitator/",
        "session mode": staff.base + f"/facilitator/session/m01/p/{ids[1]}",
        "questions": staff.base + "/facilitator/questions/m01",
        "learner": staff.base + f"/facilitator/learner/{pid}",
        "admin report": admin.base + "/admin/",
        "admin by module": admin.base + "/admin/?by=module",
        "module list": staff.base + "/facilitator/modules",
    }
    attempt_pid = staff.get("/facilitator/m/m01/?status=failed").text.split("/facilitator/learner/")[1].split('"')[0]
    pages["attempt"] = staff.base + f"/facilitator/learner/{attempt_pid}/attempts/{attempt}"
    found: dict[str, list] = {}
    origins: set[str] = set()
    desktop = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    no_script = browser.new_context(java_script_enabled=False)
    for context in (desktop, phone, no_script):
        context.on("request", lambda request: origins.add("/".join(request.url.split("/")[:3])))
    try:
        wide, heavy = {}, {}
        for name, url in pages.items():
            page = desktop.new_page()
            response = page.goto(url)
            assert response is not None and response.status == 200, name
            found[name] = audit(page)
            # every impact of the landmark rules (a duplicate nav label is "moderate")
            page.add_script_tag(content=axe_source())
            landmarks = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'rule', values: [
                'landmark-unique', 'landmark-no-duplicate-banner', 'landmark-no-duplicate-contentinfo', 'region',
                'color-contrast']}}))
                .violations.map(v => v.id)""")
            if landmarks:
                found[name + " (landmarks, contrast)"] = landmarks
            page.close()
            small = phone.new_page()
            small.goto(url)
            width = small.evaluate("document.documentElement.scrollWidth")
            if width > 390:  # name the elements that stick out (tables scroll inside their own region)
                wide[name] = small.evaluate("""() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.scroll'))
                    .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
            small.close()
            bare = no_script.new_page()
            html = bare.goto(url).text()
            weight = len(html.encode()) + sum(
                len(bare.request.get(asset).body()) for asset in set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
                for asset in [tool_server.url + asset])
            if weight > BUDGET:
                heavy[name] = weight
            if name in ("class view", "course overview", "admin report", "questions"):
                assert bare.locator(".bl svg").count() > 0, f"{name}: no chart without JavaScript"
            bare.close()
    finally:
        desktop.close()
        phone.close()
        no_script.close()
    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)
    assert not wide, f"wider than a 390 px phone: {wide}"
    assert not heavy, f"over {BUDGET} bytes of HTML+CSS+JS: {heavy}"
    assert origins <= {tool_server.url}
