"""Login and launch are ordinary Flask views: every request hook an operator adds sees them.

Rate limiting, audit logs, request ids or tracing added through Flask must not miss the two most
security-sensitive endpoints. A fresh app (on the suite's database and state store) gets its hooks
before it serves anything, as a deployment's would.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask import Flask, Response, request
from sqlalchemy import func, select

from lti_helpers import FakePlatform, KeyServer, Launcher, LiveServer, launch_base
from lti_tool.app import create_app
from lti_tool.config import Settings
from lti_tool.extensions import db
from lti_tool.lti.models import Launch

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


@pytest.fixture
def hooked(settings: Settings, app: Flask) -> Iterator[tuple[Flask, LiveServer, list[tuple]]]:
    """A second tool app with a before_request and an after_request hook, served on loopback."""
    tool = create_app(settings)
    seen: list[tuple] = []

    @tool.before_request
    def _before() -> None:
        seen.append(("before", request.endpoint, request.method))

    @tool.after_request
    def _after(response: Response) -> Response:
        seen.append(("after", request.endpoint, response.status_code))
        return response

    server = LiveServer(tool)
    yield tool, server, seen
    server.stop()
    with tool.app_context():
        db.session.remove()
        db.engine.dispose()


def _registered(app: Flask, key_server: KeyServer, tool_url: str) -> FakePlatform:
    from lti_tool.platforms.services import PlatformSpec, register_platform

    platform = FakePlatform(key_server, tool_url)
    with app.app_context():
        register_platform(PlatformSpec.build(**platform.registration()))
        db.session.commit()
    return platform


def test_request_hooks_see_the_login_and_the_launch(hooked, key_server: KeyServer) -> None:
    tool, server, seen = hooked
    launcher = Launcher(server.url, _registered(tool, key_server, server.url))
    login = launcher.login()
    assert login.response.status_code == 302
    token = launcher.platform.sign(launcher.platform.claims(login.nonce))
    assert launcher.post_launch(token, login.state, login.cookies).status_code == 303
    assert seen == [("before", "lti.login", "POST"), ("after", "lti.login", 302),
                    ("before", "lti.launch", "POST"), ("after", "lti.launch", 303)]


def test_hooks_see_refused_logins_and_launches_too(hooked, key_server: KeyServer) -> None:
    tool, server, seen = hooked
    launcher = Launcher(server.url, _registered(tool, key_server, server.url))
    refused_login = launcher.login(client_id="nobody-registered-this")
    assert refused_login.response.status_code == 400
    login = launcher.login()
    forged = launcher.platform.sign(launcher.platform.claims("n-not-the-one-we-sent"))
    with tool.app_context():
        before = db.session.scalar(select(func.count()).select_from(Launch))
    assert launcher.post_launch(forged, login.state, login.cookies).status_code == 400
    assert ("after", "lti.login", 400) in seen and ("after", "lti.launch", 400) in seen
    with tool.app_context():
        assert db.session.scalar(select(func.count()).select_from(Launch)) == before


def test_the_state_cookie_is_set_and_dropped_by_werkzeug(launcher: Launcher, platform: FakePlatform) -> None:
    """SameSite=None, Secure and Partitioned: the only cookie a browser keeps inside an LMS frame."""
    login = launcher.login()
    header = login.response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert attributes == {"expires", "max-age", "path", "secure", "httponly", "samesite", "partitioned"}
    assert "Path=/lti/" in header and "SameSite=None" in header
    token = platform.sign(platform.claims(login.nonce))
    launched = launcher.post_launch(token, login.state, login.cookies)
    assert launched.status_code == 303
    removal = launched.headers["Set-Cookie"]
    assert removal.startswith(next(iter(login.cookies)) + "=;") and "Max-Age=0" in removal
    assert "Partitioned" in removal and "Path=/lti/" in removal


def test_the_tool_keeps_no_cookie_session(app: Flask) -> None:
    """flask.session is never used: no request reads a session cookie, and writing to it fails at once."""
    from flask import session

    with app.test_request_context("/lti/login", headers={"Cookie": "session=anything"}):
        assert not session
        with pytest.raises(RuntimeError):
            session["launch"] = "x"


@pytest.mark.parametrize(
    ("fixture", "custom", "lands_on"),
    [
        ("02_id_token_student_resource_link.json", {"module": "m04", "country": "GD"}, "/m/m04/"),
        ("02_id_token_student_resource_link.json", {"module": "m04", "person_country": ""}, "/about-you?next="),
        ("03_id_token_teacher_resource_link.json", {"module": "m99"}, "/facilitator/modules?unknown=m99"),
        ("07_id_token_deep_linking_request.json", None, "/facilitator/deep-link"),
    ],
    ids=["module", "country-question", "staff-unknown-module", "deep-linking"],
)
def test_a_launch_lands_where_the_learner_home_sends_it(launcher: Launcher, fixture: str, custom: dict | None,
                                                       lands_on: str) -> None:
    """The launch's 303 goes straight to its page; the home, opened later, decides the same way."""
    launched = launcher.launch(fixture, **({CUSTOM: custom} if custom else {}))
    base = launch_base(launched)
    assert launched.headers["Location"].startswith(base + lands_on)
    home = requests.get(launcher.tool_url + base + "/", allow_redirects=False, timeout=10)
    assert home.status_code == 302 and home.headers["Location"] == launched.headers["Location"]


# -- the requests themselves: any body Flask reads, one place that names what is wrong --------------

def login_form(launcher: Launcher) -> dict[str, str]:
    platform = launcher.platform
    return {"iss": platform.issuer, "login_hint": "4", "target_link_uri": launcher.tool_url + "/lti/launch",
            "client_id": platform.client_id, "lti_deployment_id": platform.deployment_id}


@pytest.mark.parametrize("encode", ["query", "urlencoded", "multipart", "chunked"])
def test_a_login_is_read_however_it_is_sent(launcher: Launcher, encode: str) -> None:
    form, url = login_form(launcher), launcher.tool_url + "/lti/login"
    if encode == "query":
        response = requests.get(url, params=form, allow_redirects=False, timeout=10)
    elif encode == "urlencoded":
        response = requests.post(url, data=form, allow_redirects=False, timeout=10)
    elif encode == "multipart":
        response = requests.post(url, files={k: (None, v) for k, v in form.items()}, allow_redirects=False,
                                 timeout=10)
    else:  # no Content-Length: Flask reads the body as it comes
        body = "&".join(f"{k}={requests.utils.quote(v, safe='')}" for k, v in form.items()).encode()
        response = requests.post(url, data=iter([body]), allow_redirects=False, timeout=10,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 302
    assert "state=" in response.headers["Location"] and "Partitioned" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/lti/login", "/lti/launch"])
def test_an_oversized_body_is_refused_by_name(launcher: Launcher, path: str) -> None:
    response = requests.post(launcher.tool_url + path, data={"id_token": "x" * (300 * 1024)},
                             allow_redirects=False, timeout=10)
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_a_bad_login_is_named_on_the_apps_error_page(launcher: Launcher) -> None:
    form = {**login_form(launcher), "client_id": "nobody-registered-this"}
    response = requests.post(launcher.tool_url + "/lti/login", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "nobody-registered-this" in response.text
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


def test_a_launch_is_read_from_its_body_only(launcher: Launcher, platform: FakePlatform) -> None:
    """A state in the query string does not stand in for the form's."""
    login = launcher.login()
    token = platform.sign(platform.claims(login.nonce))
    response = requests.post(launcher.tool_url + "/lti/launch", params={"state": login.state},
                             data={"id_token": token}, cookies=login.cookies, allow_redirects=False, timeout=10)
    assert response.status_code == 400
    assert "no state parameter" in response.text


def test_a_state_store_failure_is_the_apps_error_page(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    """With the store unreachable (here: its SQLite table gone), the launch gets the app's own page: a
    service is down, so "briefly unavailable" (503), as from any view."""
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
    assert response.status_code == 503
    assert "Please try again in a minute" in response.text and response.headers["Retry-After"]
    assert "Traceback" not in response.text and "OperationalError" not in response.text
