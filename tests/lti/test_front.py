"""The WSGI front (lti_tool/lti/front.py) serves plain logins and launches itself and hands the rest
to the Flask views: both ways must answer alike, and what the front cannot read must reach Flask."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, request_started
from sqlalchemy import func, select

from lti_helpers import FakePlatform, Launcher
from lti_tool.extensions import db
from lti_tool.lti.models import Launch

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Cache-Control")


@contextmanager
def flask_requests(app: Flask) -> Iterator[list[str]]:
    """The paths of the requests that reached Flask's own dispatch (the front's never do)."""
    seen: list[str] = []

    def note(_sender: Flask, **_extra: object) -> None:
        from flask import request

        seen.append(request.path)

    request_started.connect(note, app)
    try:
        yield seen
    finally:
        request_started.disconnect(note, app)


def login_form(launcher: Launcher) -> dict[str, str]:
    platform = launcher.platform
    return {"iss": platform.issuer, "login_hint": "4", "target_link_uri": launcher.tool_url + "/lti/launch",
            "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id}


def as_multipart(form: dict[str, str]) -> dict[str, tuple[None, str]]:
    """The same fields as multipart/form-data, which the front leaves to Flask."""
    return {name: (None, value) for name, value in form.items()}


def cookie_attributes(response: requests.Response) -> list[str]:
    header = response.headers["Set-Cookie"]
    return sorted(part.strip().split("=")[0].lower() for part in header.split(";")[1:])


def test_front_and_view_answer_a_login_alike(app: Flask, launcher: Launcher) -> None:
    url = launcher.tool_url + "/lti/login"
    with flask_requests(app) as seen:
        front = requests.post(url, data=login_form(launcher), allow_redirects=False, timeout=10)
        assert seen == []  # served by the front
        view = requests.post(url, files=as_multipart(login_form(launcher)), allow_redirects=False, timeout=10)
        assert seen == ["/lti/login"]  # multipart: the Flask view
    assert front.status_code == view.status_code == 302
    front_query, view_query = (parse_qs(urlsplit(r.headers["Location"]).query) for r in (front, view))
    assert front_query.keys() == view_query.keys()
    for name in ("scope", "response_type", "response_mode", "prompt", "client_id", "redirect_uri", "login_hint"):
        assert front_query[name] == view_query[name], name
    assert front_query["state"] != view_query["state"]
    assert cookie_attributes(front) == cookie_attributes(view) == sorted(
        ["expires", "max-age", "path", "secure", "httponly", "samesite", "partitioned"])
    for name in SECURITY_HEADERS:
        assert front.headers[name] == view.headers[name], name


def test_front_and_view_complete_a_launch_alike(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    answers = []
    with flask_requests(app) as seen:
        for encode in ("urlencoded", "multipart"):
            login = launcher.login()
            form = {"id_token": platform.sign(platform.claims(login.nonce)), "state": login.state}
            body = {"data": form} if encode == "urlencoded" else {"files": as_multipart(form)}
            answers.append(requests.post(launcher.tool_url + "/lti/launch", cookies=login.cookies,
                                         allow_redirects=False, timeout=10, **body))
    assert seen == ["/lti/launch"]  # only the multipart one reached Flask
    front, view = answers
    assert front.status_code == view.status_code == 303
    for response in answers:
        assert urlsplit(response.headers["Location"]).path.startswith("/l/")
        assert "max-age=0" in response.headers["Set-Cookie"].lower()
    assert cookie_attributes(front) == cookie_attributes(view)
    for name in SECURITY_HEADERS:
        assert front.headers[name] == view.headers[name], name
    for response in answers:  # both references open the learner's page
        page = requests.get(launcher.tool_url + response.headers["Location"], timeout=10)
        assert page.status_code == 200
        assert "The Global Context of Migration" in page.text


def test_a_refusal_after_the_state_was_taken_is_the_apps_error_page(app: Flask, launcher: Launcher,
                                                                   platform: FakePlatform) -> None:
    login = launcher.login()
    forged = platform.sign(platform.claims("n-not-the-one-we-sent"))
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Launch))
    with flask_requests(app) as seen:
        refused = launcher.post_launch(forged, login.state, login.cookies)
    assert seen == []  # the front consumed the state, and rendered the refusal through the app
    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("text/html")
    assert "nonce is not the one this tool sent" in refused.text
    for name in SECURITY_HEADERS:
        assert name in refused.headers
    # the state was taken: posting it again is refused by the view, and no row was written
    again = launcher.post_launch(platform.sign(platform.claims(login.nonce)), login.state, login.cookies)
    assert again.status_code == 400
    assert "unknown or has expired" in again.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Launch)) == before


def test_a_chunked_login_reaches_the_view(app: Flask, launcher: Launcher) -> None:
    """No Content-Length: the front does not guess, Flask reads the body."""
    body = "&".join(f"{k}={requests.utils.quote(v, safe='')}" for k, v in login_form(launcher).items()).encode()
    with flask_requests(app) as seen:
        response = requests.post(launcher.tool_url + "/lti/login", data=iter([body]), allow_redirects=False,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert seen == ["/lti/login"]
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/lti/login", "/lti/launch"])
def test_an_oversized_body_is_refused_by_name(launcher: Launcher, path: str) -> None:
    response = requests.post(launcher.tool_url + path, data={"id_token": "x" * (300 * 1024)},
                             allow_redirects=False, timeout=10)
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_a_get_login_is_served_by_the_front(app: Flask, launcher: Launcher) -> None:
    with flask_requests(app) as seen:
        response = requests.get(launcher.tool_url + "/lti/login", params=login_form(launcher),
                                allow_redirects=False, timeout=10)
    assert seen == []
    assert response.status_code == 302
    assert "state=" in response.headers["Location"]


def test_a_bad_login_is_named_on_the_apps_error_page(app: Flask, launcher: Launcher) -> None:
    form = {**login_form(launcher), "client_id": "nobody-registered-this"}
    response = requests.post(launcher.tool_url + "/lti/login", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "nobody-registered-this" in response.text
    assert "Content-Security-Policy" in response.headers


def test_a_launch_is_read_from_its_body_only(launcher: Launcher, platform: FakePlatform) -> None:
    """As the view does: a state in the query string does not stand in for the form's."""
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    response = requests.post(launcher.tool_url + "/lti/launch", params={"state": login.state},
                             data={"id_token": token}, cookies=login.cookies, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "no state parameter" in response.text


def test_a_state_store_failure_is_the_apps_error_page(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    """With the store unreachable (here: its SQLite table gone), the front answers like the app does."""
    from lti_tool.runtime import runtime
    from lti_tool.state_store import FileStateStore

    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    store = runtime(app).state_store
    assert isinstance(store, FileStateStore)  # the suite's settings use the file store
    store._conn().execute("ALTER TABLE state RENAME TO state_away")
    try:
        response = launcher.post_launch(token, login.state, login.cookies)
    finally:
        store._conn().execute("ALTER TABLE state_away RENAME TO state")
    assert response.status_code == 503  # a service down: the app's "briefly unavailable" page, as from a view
    assert "Please try again in a minute" in response.text and response.headers["Retry-After"]
    assert "Traceback" not in response.text and "OperationalError" not in response.text
