"""The knowledge checks, the gain page, the certificate and its verification in headless Chromium:
taken without JavaScript on a 390 px phone, and axe-core audits of every new page."""
from __future__ import annotations

import json
import re

import pytest
from browser_support import audit
from flask import Flask
from learner_helpers import Learner, complete_module
from lti_helpers import Launcher, launch_base
from security_support import csrf

pytestmark = pytest.mark.browser
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def test_checks_and_certificate_without_javascript_on_a_phone_and_audited(
        audit_context, browser, launcher: Launcher, app: Flask, tool_server) -> None:
    response = launcher.launch("03_id_token_teacher_resource_link.json")
    staff = launcher.tool_url + launch_base(response)
    import requests

    page_html = requests.get(staff + "/facilitator/gain", timeout=10).text
    assert requests.post(staff + "/facilitator/gain/options", timeout=10, allow_redirects=False, data={
        "csrf_token": csrf(page_html), "knowledge_checks": "y", "certificate_scope": "course"}).status_code == 303

    # a learner on a phone, without JavaScript: the check comes first, is answered and sent
    ann = Learner.launch(launcher, "m01", sub="gain-phone", name="Ann Phone",
                         custom={"person_country": "AG"})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False)
    try:
        tab = phone.new_page()
        tab.goto(ann.base + "/m/m01/")
        assert "/check/pre" in tab.url
        assert tab.get_by_role("heading", level=1).inner_text() == "Knowledge check before the course"
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        # answer the first question, whatever its type (the paper is drawn at random)
        first = tab.locator("fieldset.question").first
        if first.locator("input").count():
            first.locator("input").first.check()
        else:
            for select in first.locator("select").all():
                select.select_option(index=1)
        with tab.expect_navigation():
            tab.get_by_role("button", name="Send my answers").click()
        assert "/check/pre/done" in tab.url and "You took this knowledge check" in tab.content()
        with tab.expect_navigation():
            tab.get_by_role("link", name="Continue").click()
        assert re.search(r"/m/m01/$", tab.url)
    finally:
        phone.close()

    context, origins = audit_context
    page = context.new_page()
    found: dict[str, list] = {}

    def check(name: str, url: str) -> None:
        got = page.goto(url)
        assert got is not None and got.status == 200, (name, got and got.status)
        found[name] = audit(page)

    bob = Learner.launch(launcher, "m01", sub="gain-audit", name="Bob Audit", custom={"person_country": "VC"})
    check("check before", bob.base + "/check/pre")
    page.get_by_role("button", name="Skip the knowledge check").click()
    page.wait_for_url(re.compile(r"/m/m01/"))
    complete_module(bob, app, "m01")
    check("check after", bob.base + "/check/post")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answers").click()
    found["check done"] = audit(page)
    check("certificate", bob.base + "/certificate/course")
    code = re.search(r"[A-Z2-7]{5}(?:-[A-Z2-7]{5}){3}", page.content()).group(0)
    check("verification", f"{tool_server.url}/verify/{code}")
    check("gain page", staff + "/facilitator/gain")
    response = launcher.launch("06_id_token_admin_resource_link.json")
    check("admin gain page", launcher.tool_url + launch_base(response) + "/admin/gain")
    missing = page.goto(f"{tool_server.url}/verify/AAAAA-AAAAA-AAAAA-AAAAA")
    assert missing is not None and missing.status == 404
    found["unknown code"] = audit(page)

    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)
    assert set(origins) <= {tool_server.url}
