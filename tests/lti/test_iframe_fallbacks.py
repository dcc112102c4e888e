"""Inside an LMS iframe without platform storage: the cookie check page and the new-window way out."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import requests

from lti_helpers import FakePlatform, Launcher


def test_iframe_login_checks_cookies_before_leaving(launcher: Launcher, platform: FakePlatform) -> None:
    response = requests.post(launcher.tool_url + "/lti/login", headers={"Sec-Fetch-Dest": "iframe"}, data={
        "iss": platform.issuer, "login_hint": "4", "target_link_uri": launcher.tool_url + "/lti/launch",
        "client_id": platform.client_id, "lti_message_hint": "hint-1"}, allow_redirects=False, timeout=10)
    assert response.status_code == 200
    assert "lti-cookie-check.js" in response.text
    auth_url = unescape(re.search(r'data-auth-url="([^"]+)"', response.text).group(1))
    assert parse_qs(urlsplit(auth_url).query)["lti_message_hint"] == ["hint-1"]
    new_window = unescape(re.search(r'href="([^"]+emm_new_window=1[^"]*)"', response.text).group(1))
    # the new window skips the check and goes straight to the LMS
    again = requests.get(new_window, headers={"Sec-Fetch-Dest": "document"}, allow_redirects=False, timeout=10)
    assert again.status_code == 302 and again.headers["Location"].startswith(platform.registration()["auth_login_url"])


def test_platform_storage_login_page(launcher: Launcher, platform: FakePlatform) -> None:
    login = requests.post(launcher.tool_url + "/lti/login", data={
        "iss": platform.issuer, "login_hint": "4", "target_link_uri": launcher.tool_url + "/lti/launch",
        "client_id": platform.client_id, "lti_storage_target": "_parent"}, allow_redirects=False, timeout=10)
    assert login.status_code == 200
    assert 'data-platform-origin="' + platform.key_server.url + '"' in login.text
    assert 'data-target="_parent"' in login.text


def test_launch_without_cookie_asks_platform_storage_then_accepts_same_origin_repost(
        launcher: Launcher, platform: FakePlatform) -> None:
    login = requests.post(launcher.tool_url + "/lti/login", data={
        "iss": platform.issuer, "login_hint": "4", "target_link_uri": launcher.tool_url + "/lti/launch",
        "client_id": platform.client_id, "lti_storage_target": "_parent"}, allow_redirects=False, timeout=10)
    state = re.search(r'data-state="([^"]+)"', login.text).group(1)
    nonce = parse_qs(urlsplit(unescape(re.search(r'data-auth-url="([^"]+)"', login.text).group(1))).query)["nonce"][0]
    token = platform.sign(platform.claims(nonce))
    # no cookie came back (blocked in the iframe): the tool answers with the storage check page
    check = launcher.post_launch(token, state, {})
    assert check.status_code == 200 and "lti-storage.js" in check.text
    proof = re.search(r'name="emm_storage_check" value="([^"]+)"', check.text).group(1)
    # a cross-site re-post with the proof is refused (login CSRF)
    forged = requests.post(
        launcher.tool_url + "/lti/launch", data={"id_token": token, "state": state, "emm_storage_check": proof},
        headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False, timeout=10)
    assert forged.status_code == 200 and "lti-storage.js" in forged.text
    # our own page's re-post, after the LMS confirmed the state, is accepted
    accepted = requests.post(launcher.tool_url + "/lti/launch", data={
        "id_token": token, "state": state, "emm_storage_check": proof},
        headers={"Sec-Fetch-Site": "same-origin"}, allow_redirects=False, timeout=10)
    assert accepted.status_code == 303


def test_cookie_blocked_page_offers_a_new_window(launcher: Launcher, platform: FakePlatform) -> None:
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    blocked = launcher.post_launch(token, login.state, {})
    assert blocked.status_code == 403
    link = unescape(re.search(r'href="([^"]+)" target="_blank"', blocked.text).group(1))
    assert "emm_new_window=1" in link and "login_hint=4" in link
