"""Dynamic registration's last page in headless Chromium: axe-core audit, and the Finish button
tells the LMS window to close its dialog (postMessage org.imsglobal.lti.close)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from browser_support import audit
from flask import Flask
from playwright.sync_api import Error as PlaywrightError

from lti_helpers import RegisteringLms
from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime

pytestmark = pytest.mark.browser


def test_registration_page_is_accessible_and_closes_the_lms_dialog(audit_context, app: Flask, tool_server,
                                                                 key_server) -> None:
    lms = RegisteringLms(key_server, tool_server.url)
    with app.app_context():
        link = issue_invite(runtime(app).state_store, tool_server.url, 3600).url
    url = link + "?" + urlencode({"openid_configuration": lms.configuration_url, "registration_token": "t"})
    context, _origins = audit_context
    opener = context.new_page()
    opener.goto(tool_server.url + "/lti/config")  # the LMS window, as far as this test is concerned
    opener.evaluate("window.received = []; window.addEventListener('message', e => window.received.push(e.data))")
    with context.expect_page() as popup_info:
        opener.evaluate(f"window.open({json.dumps(url)})")
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.get_by_role("heading", name="The tool is registered").is_visible()
    violations = audit(popup)
    assert not violations, json.dumps(violations, indent=1)
    with popup.expect_event("close"):  # a window the LMS opened closes itself
        try:
            popup.get_by_role("button", name="Finish and return to the LMS").click()
        except PlaywrightError as exc:  # it closed while the click was still being confirmed: what the script does
            if "closed" not in str(exc):
                raise
    opener.wait_for_function("window.received.length > 0", timeout=5000)
    assert opener.evaluate("window.received") == [{"subject": "org.imsglobal.lti.close"}]
