"""A learner launch in headless Chromium: the tool inside the demo LMS's iframe, on another site."""
from __future__ import annotations

import pytest
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
