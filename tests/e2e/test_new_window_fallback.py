"""The tool's cookie dropped inside the LMS frame: the new-window link must start a launch the LMS
accepts. The demo LMS spends a launch on its first authentication request, as Moodle does, so the
login the LMS already answered cannot simply be started again (Moodle answers "Invalid request")."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests

LEARNER = "5"  # Marcus Charles, Grenada


def _form(page: requests.Response) -> tuple[str, dict[str, str]]:
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return action, {k: unescape(v) for k, v in fields.items()}


def _placement(demo_lms, module: str) -> str:
    with demo_lms.lms.state.lock:
        return next(p.id for p in demo_lms.lms.state.placements.values() if p.module == module)


def test_the_new_window_link_starts_a_fresh_launch_the_lms_accepts(demo_lms) -> None:
    placement = _placement(demo_lms, "m04")
    browser = requests.Session()  # the learner's browser: the LMS's own cookies are first-party and kept
    activity = browser.get(f"{demo_lms.url}/launch", params={"user": LEARNER, "placement": placement,
                                                              "storage": "off"}, timeout=10)
    frame_src = unescape(re.search(r'<iframe id="tool-frame"[^>]*src="([^"]+)"', activity.text).group(1))

    # inside the frame: login, the LMS's answer, and the launch posted without the tool's cookie
    login = requests.get(frame_src, allow_redirects=False, timeout=10)
    assert login.status_code == 302 and "Set-Cookie" in login.headers  # the browser drops it
    action, fields = _form(browser.get(login.headers["Location"], timeout=10))
    blocked = requests.post(action, data=fields, allow_redirects=False, timeout=10)
    assert blocked.status_code == 403 and "Open in a new window" in blocked.text
    new_window = unescape(re.search(r'href="([^"]+)" target="_blank"', blocked.text).group(1))
    assert new_window == f"{demo_lms.url}/mod/lti/launch.php?id={placement}&triggerview=0"

    # what the link used to do, a second login with the LMS's spent message, the LMS refuses
    again = requests.get(frame_src + "&emm_new_window=1", allow_redirects=False, timeout=10)
    refused = browser.get(again.headers["Location"], timeout=10)
    assert refused.status_code == 400 and "Invalid request" in refused.text

    # the new window: the LMS starts a launch of its own, and the tool's cookie is first-party there
    action, fields = _form(browser.get(new_window, timeout=10))
    login = requests.post(action, data=fields, allow_redirects=False, timeout=10)
    assert login.status_code == 302
    cookies = dict(login.cookies)  # Secure: requests would not send it over http, a browser on loopback does
    action, fields = _form(browser.get(login.headers["Location"], timeout=10))
    launched = requests.post(action, data=fields, cookies=cookies, allow_redirects=False, timeout=10)
    assert launched.status_code == 303, launched.text[:300]
    page = requests.get(urljoin(launched.url, launched.headers["Location"]), timeout=10)
    assert page.status_code == 200 and "Gender and Migration" in page.text
