"""A learner launch in headless Chromium: the tool inside the demo LMS's iframe, on another site."""
from __future__ import annotations

import pytest
import requests
from browser_support import audit
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("storage", ["on", "off"], ids=["platform-storage", "moodle-mode-cookie"])
def test_learner_launch_in_lms_iframe(demo_lms, browser, storage: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(demo_lms.url + "/")
        page.get_by_label("Marcus Charles").check()
        page.select_option("#storage", storage)
        page.get_by_role("button", name="Open Module 04 — Gender and Migration").click()
        frame = page.frame_locator("#tool-frame")
        expect(frame.locator("h1")).to_have_text("Gender and Migration", timeout=15_000)
        tool_frame = next(f for f in page.frames if f.url.startswith("http://127.0.0.1"))
        assert "/l/" in tool_frame.url and "/m/m04/" in tool_frame.url
    finally:
        context.close()


def _drop_cookies_inside_frames(route) -> None:
    """The browser of a learner whose privacy settings drop the tool's cookies inside the LMS frame:
    requests from a frame go out without cookies and their Set-Cookie never arrives; a page of its
    own (a new window) keeps them, as a first-party site's."""
    request = route.request
    if request.frame.parent_frame is None:
        route.continue_()
        return
    headers = {k: v for k, v in request.all_headers().items()
               if k.lower() not in ("cookie", "host", "content-length") and not k.startswith(":")}
    answer = requests.request(request.method, request.url, headers=headers, data=request.post_data_buffer,
                              allow_redirects=False, timeout=10)
    route.fulfill(status=answer.status_code, body=answer.content,
                  headers={k: v for k, v in answer.headers.items()
                           if k.lower() not in ("set-cookie", "content-length", "content-encoding", "connection")})


def test_a_cookie_dropped_in_the_lms_frame_reopens_in_a_new_window(demo_lms, browser, tool_server) -> None:
    """Moodle mode (no platform storage): the tool's page offers a new window, which the LMS launches afresh."""
    context = browser.new_context(bypass_csp=True)  # bypass: only so axe can be injected below
    try:
        context.route(f"{tool_server.url}/lti/**", _drop_cookies_inside_frames)
        page = context.new_page()
        page.goto(demo_lms.url + "/")
        page.get_by_label("Marcus Charles").check()
        page.select_option("#storage", "off")
        page.get_by_role("button", name="Open Module 04 — Gender and Migration").click()
        link = page.frame_locator("#tool-frame").get_by_role("link", name="Open in a new window")
        expect(link).to_be_visible(timeout=15_000)
        assert link.get_attribute("href").startswith(demo_lms.url + "/mod/lti/launch.php?id=")
        tool_frame = next(f for f in page.frames if f.url.startswith(tool_server.url))
        assert audit(tool_frame) == []
        with context.expect_page() as opened:
            link.click()
        window = opened.value
        expect(window.locator("h1")).to_have_text("Gender and Migration", timeout=15_000)
        assert window.url.startswith(tool_server.url + "/l/") and "/m/m04/" in window.url
    finally:
        context.close()


def test_the_demo_gradebook_passes_the_audit(demo_lms, browser) -> None:
    """Its wide table scrolls inside a region a keyboard user can reach (axe: scrollable-region-focusable)."""
    context = browser.new_context(viewport={"width": 390, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(demo_lms.url + "/gradebook")
        expect(page.locator("table.gradebook")).to_be_visible()
        assert audit(page) == []
    finally:
        context.close()
