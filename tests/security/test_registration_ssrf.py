"""Dynamic registration follows no redirect, shows no LMS body, keeps every call within a total
deadline and a size cap, reaches private addresses only for an LMS named by the invitation, and an
invitation is used up by three failed attempts."""
from __future__ import annotations

import socket
import threading

import pytest
import requests
from flask import Flask
from werkzeug.wrappers import Response

from lti_helpers import KeyServer, RegisteringLms
from lti_tool.lms.errors import PlatformUnavailable
from lti_tool.lms.hosts import HostPolicy
from lti_tool.lms.transport import fetch
from lti_tool.platforms.registration import MAX_FAILURES, issue_invite
from lti_tool.runtime import runtime
from security_support import Recorder


def invite(app: Flask, tool_url: str) -> str:
    with app.app_context():
        return issue_invite(runtime(app).state_store, tool_url, 3600).url


def open_link(link: str, configuration_url: str) -> requests.Response:
    return requests.get(link, params={"openid_configuration": configuration_url, "registration_token": "t"},
                        timeout=30)


@pytest.fixture
def lms(tool_server, key_server: KeyServer) -> RegisteringLms:
    return RegisteringLms(key_server, tool_server.url)


def test_a_redirect_is_not_followed(app: Flask, tool_server, lms: RegisteringLms, key_server: KeyServer,
                                    internal: Recorder) -> None:
    path = lms.configuration_url.replace(key_server.url, "")
    key_server.routes[path] = lambda request: Response(status=302, headers={"Location": internal.url + "/meta-data"})
    page = open_link(invite(app, tool_server.url), lms.configuration_url)
    assert page.status_code == 502
    assert "redirect" in page.text
    assert internal.requests == []


def test_an_error_body_is_not_reflected(app: Flask, tool_server, lms: RegisteringLms, key_server: KeyServer) -> None:
    path = lms.configuration_url.replace(key_server.url, "")
    key_server.routes[path] = lambda request: Response("aws_secret_access_key=AKIAEXAMPLESECRET", status=403)
    page = open_link(invite(app, tool_server.url), lms.configuration_url)
    assert page.status_code == 502
    assert "HTTP 403" in page.text and "AKIAEXAMPLESECRET" not in page.text


def test_a_registration_endpoint_on_another_host_is_not_called(app: Flask, tool_server, lms: RegisteringLms,
                                                                internal: Recorder) -> None:
    lms.configuration["registration_endpoint"] = internal.url + "/register"
    page = open_link(invite(app, tool_server.url), lms.configuration_url)
    assert page.status_code == 502 and "registered hosts" in page.text
    assert internal.requests == []


def test_three_failures_use_an_invitation_up(app: Flask, tool_server, lms: RegisteringLms) -> None:
    link = invite(app, tool_server.url)
    lms.registration_status = 400
    for attempt in range(1, MAX_FAILURES + 1):
        refused = open_link(link, lms.configuration_url)
        assert refused.status_code == 502
    assert "can no longer be used" in refused.text
    lms.registration_status = 200
    gone = open_link(link, lms.configuration_url)
    assert gone.status_code == 403 and "already used or expired" in gone.text
    assert len(lms.requests) == MAX_FAILURES


def test_a_private_address_needs_an_invitation_for_that_issuer(app: Flask, tool_server) -> None:
    page = open_link(invite(app, tool_server.url), "https://10.20.30.40/moodle/mod/lti/openid-configuration.php")
    assert page.status_code == 502
    assert "10.20.30.40 (private)" in page.text  # refused after resolution, before any connection


class DripServer:
    """Answers with headers at once, then one byte every `interval` seconds, `count` times: an LMS that
    never quite stops answering. Records whether the client hung up before the end."""

    def __init__(self, count: int = 40, interval: float = 0.25):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sent = 0
        self.cut_short = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, args=(count, interval), daemon=True).start()

    def _serve(self, count: int, interval: float) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % count)
            for _ in range(count):
                if self._stop.wait(interval):
                    return
                try:
                    conn.sendall(b" ")
                    self.sent += 1
                except OSError:
                    self.cut_short.set()
                    return
            self.cut_short.clear()

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()


def test_a_dripping_answer_is_cut_at_the_deadline() -> None:
    drip = DripServer(count=40, interval=0.25)  # ten seconds of answer
    policy = HostPolicy.for_urls("Slow LMS", [drip.url])
    try:
        with pytest.raises(PlatformUnavailable) as slow:
            fetch("GET", drip.url + "/openid-configuration", policy, what="the configuration request", deadline=1.0)
        assert "within 1 s" in slow.value.reason
        assert drip.sent < 40  # the tool hung up long before the LMS finished
    finally:
        drip.stop()


def test_an_answer_over_the_cap_is_not_read_whole(key_server: KeyServer) -> None:
    key_server.routes["/huge"] = lambda request: Response(b"[" + b" " * (300 * 1024) + b"]")
    policy = HostPolicy.for_urls("Big LMS", [key_server.url])
    with pytest.raises(Exception) as big:
        fetch("GET", key_server.url + "/huge", policy, what="the configuration request", limit=256 * 1024)
    assert "larger than 256 KB" in str(big.value)
