"""The demo LMS over real HTTP: start one, launch through it like a browser without JavaScript,
add modules by Deep Linking, and reach the learner pages a launch lands on."""
from __future__ import annotations

import re
import threading
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from werkzeug.serving import make_server

from learner_helpers import Learner


class DemoLmsServer:
    """The demo LMS on http://localhost:<port> (another site than the tool on 127.0.0.1), registered."""

    def __init__(self, app: Flask, tool_url: str, state_dir: Path, placements: tuple | None = None):
        from lti_tool.demo_run import connect_demo_lms

        holder: dict[str, Flask] = {}
        self._server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True)
        self.url = f"http://localhost:{self._server.server_port}"
        self.app = holder["app"] = connect_demo_lms(app, tool_url, self.url, state_dir, placements)
        self.lms = self.app.extensions["demo_lms"]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()



def browse_launch(demo_lms, user: str, placement: str | None = None, **kwargs) -> requests.Response:
    """What a browser does in the LMS iframe, without JavaScript: login → LMS auth → form post → tool."""
    http = requests.Session()
    login = http.get(demo_lms.lms.login_url(user, placement, platform_storage=False, **kwargs),
                     allow_redirects=False, timeout=10)
    assert login.status_code == 302, login.text[:300]
    auth = http.get(login.headers["Location"], timeout=10)
    assert auth.status_code == 200, auth.text[:300]
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', auth.text).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', auth.text))
    cookies = {c.name: c.value for c in http.cookies}  # the state cookie is Secure; loopback http is fine here
    launched = requests.post(action, data={k: unescape(v) for k, v in fields.items()}, cookies=cookies,
                             allow_redirects=False, timeout=10)
    assert launched.status_code == 303, launched.text[:500]
    return requests.get(urljoin(launched.url, launched.headers["Location"]), timeout=10)


def launch_base(page: requests.Response) -> str:
    """http://tool/l/<ref> of the page a launch landed on."""
    return "/".join(page.url.split("/")[:5])


def deep_link(demo_lms, modules: list[str], *, country: str = "", graded: bool = True, user: str = "3") -> None:
    """A facilitator adds modules through the tool's Deep Linking page; the reply goes back to the LMS."""
    picker = browse_launch(demo_lms, user, deep_link=True)
    assert picker.status_code == 200, picker.text[:300]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', picker.text).group(1)
    data = {"csrf_token": token, "modules": modules, "country": country, **({"graded": "y"} if graded else {})}
    reply = requests.post(picker.url, data=data, timeout=10)
    assert reply.status_code == 200, reply.text[:300]
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', reply.text).group(1))
    landed = requests.post(action, data={"JWT": re.search(r'name="JWT" value="([^"]+)"', reply.text).group(1)},
                           timeout=10)
    assert landed.status_code == 200, landed.text[:300]


def ref_of(url: str) -> str:
    return urlsplit(url).path.split("/")[2]


def learner_from(page: requests.Response, tool_url: str) -> Learner:
    """The learner a launched page belongs to (its launch reference is in the URL)."""
    return Learner(base=f"{tool_url}/l/{urlsplit(page.url).path.split('/')[2]}", tool_url=tool_url)


def drain(app: Flask) -> None:
    """Deliver every score owed, as a grade worker would, until nothing is left to do."""
    from lti_tool.lms import tokens
    from lti_tool.grades.worker import GradeWorker, RetryPolicy

    tokens.reset_memory()
    worker = GradeWorker(app, policy=RetryPolicy(0.01, 0.05))
    for _ in range(50):
        outcome = worker.run_once()
        if not (outcome.delivered + outcome.retried + outcome.failed):
            return
