"""Kept working (regression tests): CSRF on every form, body-size limits, the invitation rules of dynamic
registration, security headers on every kind of response and the state cookie's flags."""
from __future__ import annotations


import pytest
import requests
from flask import Flask

from learner_helpers import hidden_fields
from lti_helpers import KeyServer, Launcher, RegisteringLms, launch_base
from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime
from security_support import CUSTOM, csrf, launched, staff

DL = "07_id_token_deep_linking_request.json"


def forms(launcher: Launcher) -> list[tuple[str, str, dict[str, str], str]]:
    """(base, path, fields without the token, a token of that launch) for each of the five forms."""
    learner = launched(launcher, sub="CSRF-L", **{CUSTOM: {"module": "m01", "person_country": ""}})
    quiz = learner.get("/m/m01/quiz")
    attempt = hidden_fields(quiz.text)["attempt"]
    facilitator = staff(launcher, sub="CSRF-F")
    picker = launcher.launch(DL)
    dl_base = launcher.tool_url + launch_base(picker)
    dl_token = csrf(requests.get(dl_base + "/facilitator/deep-link", timeout=10).text)
    return [
        (learner.base, "/m/m01/quiz", {"attempt": attempt}, csrf(quiz.text)),
        (learner.base, "/language", {"locale": "fr"}, csrf(quiz.text)),
        (learner.base, "/about-you", {"country": "GD"}, csrf(quiz.text)),
        (facilitator.base, "/facilitator/grades/resend", {"scope": "all"}, csrf(facilitator.get("/m/m01/").text)),
        (dl_base, "/facilitator/deep-link", {"modules": "m04"}, dl_token),
    ]


def test_every_form_needs_its_launchs_token_from_this_site(launcher: Launcher) -> None:
    all_forms = forms(launcher)
    other_token = all_forms[3][3]  # the facilitator's: another launch
    for base, path, fields, token in all_forms:
        url = base + path
        attempts = {
            "no token": (fields, {}),
            "another launch's token": ({**fields, "csrf_token": other_token if token != other_token
                                        else all_forms[0][3]}, {}),
            "cross-origin": ({**fields, "csrf_token": token}, {"Origin": "https://evil.example"}),
            "cross-site fetch": ({**fields, "csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
            "same-site fetch": ({**fields, "csrf_token": token}, {"Sec-Fetch-Site": "same-site"}),
        }
        for what, (data, headers) in attempts.items():
            answer = requests.post(url, data=data, headers=headers, allow_redirects=False, timeout=10)
            assert answer.status_code == 400, (path, what, answer.status_code)


@pytest.mark.parametrize("path", ["/lti/login", "/lti/launch"])
def test_large_bodies_are_refused(launcher: Launcher, path: str) -> None:
    answer = requests.post(launcher.tool_url + path, data={"x": "a" * (10 * 1024 * 1024)}, timeout=30)
    assert answer.status_code == 413


def test_a_large_id_token_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    answer = launcher.post_launch("a." + "b" * 20000 + ".c", login.state, login.cookies)
    assert answer.status_code == 413


def test_registration_needs_an_unused_unexpired_invitation(app: Flask, tool_server, key_server: KeyServer) -> None:
    lms = RegisteringLms(key_server, tool_server.url)
    params = {"openid_configuration": lms.configuration_url, "registration_token": "t"}
    assert requests.get(tool_server.url + "/lti/register/nope", params=params, timeout=10).status_code == 403
    assert lms.requests == []
    with app.app_context():
        store = runtime(app).state_store
        link = issue_invite(store, tool_server.url, 3600).url
        expired = issue_invite(store, tool_server.url, 3600).url
        store.put("registration-invite:" + expired.rsplit("/", 1)[1], {"tool_url": tool_server.url}, -1)
    assert requests.get(link, params=params, timeout=10).status_code == 200
    assert requests.get(link, params=params, timeout=10).status_code == 403  # used
    assert requests.get(expired, params=params, timeout=10).status_code == 403
    assert len(lms.requests) == 1


def test_security_headers_on_every_kind_of_response(launcher: Launcher) -> None:
    learner = launched(launcher, sub="HDR-L")
    facilitator = staff(launcher, sub="HDR-F")
    base = launcher.tool_url
    answers = [learner.get("/m/m01/"), facilitator.get("/facilitator/export.csv"),
               requests.get(base + "/.well-known/jwks.json", timeout=10),
               requests.get(base + "/lti/config?format=json", timeout=10),
               requests.get(base + "/l/not-a-ref/m/m01/", timeout=10), learner.get("/facilitator/"),
               learner.get("/m/m99/"), requests.get(base + "/lti/launch", timeout=10),
               requests.get(base + "/static/emm.css", timeout=10), launcher.login().response]
    for answer in answers:
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp, answer.url
        assert "frame-ancestors 'self'" in csp and "form-action 'self'" in csp, answer.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
        assert answer.headers["Referrer-Policy"] == "same-origin", answer.url
        assert "unsafe-inline" not in csp
    assert answers[0].headers["Cache-Control"] == "no-store"
    assert answers[2].headers["Cache-Control"] == "public, max-age=300"


def test_the_state_cookie_flags(launcher: Launcher) -> None:
    cookie = launcher.login().response.headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "Path=/lti/", "SameSite=None", "Partitioned"):
        assert flag in cookie
    assert "session=" not in cookie
