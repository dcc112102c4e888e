"""Launch through the demo LMS like a browser without JavaScript (real OIDC flow over HTTP)."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from learner_helpers import Learner


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


def learner_from(page: requests.Response, tool_url: str) -> Learner:
    """The learner a launched page belongs to (its launch reference is in the URL)."""
    return Learner(base=f"{tool_url}/l/{urlsplit(page.url).path.split('/')[2]}", tool_url=tool_url)


def drain(app: Flask) -> None:
    """Deliver every score owed, as a grade worker would, until nothing is left to do."""
    from lti_tool.grades import tokens
    from lti_tool.grades.worker import GradeWorker, RetryPolicy

    tokens.reset_memory()
    worker = GradeWorker(app, policy=RetryPolicy(0.01, 0.05))
    for _ in range(50):
        outcome = worker.run_once()
        if not (outcome.delivered + outcome.retried + outcome.failed):
            return
