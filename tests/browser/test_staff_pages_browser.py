"""Facilitator, admin and the learner's country question in headless Chromium: axe-core audits."""
from __future__ import annotations

import json

import pytest
from browser_support import audit
from flask import Flask
from learner_helpers import Learner, submit_quiz
from lti_helpers import Launcher, launch_base

pytestmark = pytest.mark.browser
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def test_axe_audit_of_staff_pages_and_country_question(audit_context, launcher: Launcher, app: Flask, tool_server) -> None:
    context, origins = audit_context
    page = context.new_page()
    found: dict[str, list] = {}

    def check(name: str, url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, response and response.status)
        found[name] = audit(page)

    learner = Learner.launch(launcher, "m01", custom={"person_country": ""})
    check("country question", learner.base + "/about-you")
    submit_quiz(learner, app, "m01", correct=True)

    response = launcher.launch("03_id_token_teacher_resource_link.json")
    staff = launcher.tool_url + launch_base(response)
    check("dashboard", staff + "/facilitator/")
    check("module list", staff + "/facilitator/modules")
    check("question miss rates", staff + "/facilitator/questions/m01")
    response = launcher.launch("07_id_token_deep_linking_request.json")
    check("deep linking picker", launcher.tool_url + launch_base(response) + "/facilitator/deep-link")
    response = launcher.launch("06_id_token_admin_resource_link.json")
    check("admin report", launcher.tool_url + launch_base(response) + "/admin/")

    # a learner with no attempts left: the grant form on their page, "+1 attempt" on the dashboard,
    # then the grant in the learner's own history
    locked = Learner.launch(launcher, "m01", sub="audit-locked")
    for _ in range(3):
        submit_quiz(locked, app, "m01", correct=False)
    check("dashboard with a learner locked out", staff + "/facilitator/")
    with app.app_context():
        from lti_tool.extensions import db
        from lti_tool.lti.models import Launch
        from lti_tool.runtime import runtime

        participant_id = db.session.get(Launch, runtime(app).refs.resolve(locked.ref)).participant_id
    page.goto(f"{staff}/facilitator/learner/{participant_id}")
    found["learner page with the grant form"] = audit(page)
    page.fill("input[name=reason]", "Audit")
    with page.expect_navigation():
        page.get_by_role("button", name="Give one more attempt").click()
    found["learner page after a grant"] = audit(page)
    check("learner overview with a grant", locked.base + "/m/m01/")
    check("registration values", tool_server.url + "/lti/config")
    check("public page", tool_server.url + "/")

    failures = {name: violations for name, violations in found.items() if violations}
    assert not failures, json.dumps(failures, indent=1)
    assert set(origins) <= {tool_server.url}
