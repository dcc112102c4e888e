"""Helpers for tests/security: a stand-in for an internal (or attacker's) host, LMS service endpoints
for a FakePlatform, claim names, and a log capture through the handler `emm-lti` logs with.

Kept out of tests/security/conftest.py so test modules import them by a unique name.
"""
from __future__ import annotations

import io
import json
import re
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from werkzeug.wrappers import Request, Response

from lti_helpers import FakePlatform, KeyServer, Launcher, LiveServer
from learner_helpers import Learner

ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
ADMIN = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SECRET = "INTERNAL SERVICE: aws_secret_access_key=AKIAEXAMPLESECRET"


class Recorder:
    """A loopback HTTP server on a port of its own (another host:port than every test platform):
    it records each request and answers from `routes` (path -> callable), else 403 with `SECRET`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.routes: dict[str, Callable[[Request], Response]] = {}
        self._lock = threading.Lock()

        @Request.application
        def wsgi(request: Request) -> Response:
            with self._lock:
                self.requests.append({"method": request.method, "path": request.path,
                                      "authorization": request.headers.get("Authorization")})
            handler = self.routes.get(request.path)
            if handler is not None:
                return handler(request)
            return Response(SECRET, status=403, mimetype="text/plain")

        self._live = LiveServer(wsgi)
        self.url = self._live.url
        self.host_port = urlsplit(self.url).netloc

    def stop(self) -> None:
        self._live.stop()


class PlatformServices:
    """Token, AGS and NRPS endpoints for one FakePlatform, on the key server (the platform's own host)."""

    def __init__(self, key_server: KeyServer, platform: FakePlatform):
        self.base = f"{key_server.url}/{platform.slug}"
        self.token_requests = 0
        self.scores: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.next_link: str | None = None
        slug = "/" + platform.slug
        key_server.routes[slug + "/token"] = self._token
        key_server.routes[slug + "/lineitems"] = self._lineitems
        key_server.routes[slug + "/lineitems/1/lineitem/scores"] = self._score
        key_server.routes[slug + "/memberships"] = self._memberships

    @property
    def lineitem(self) -> str:
        return self.base + "/lineitems/1/lineitem"

    @property
    def memberships(self) -> str:
        return self.base + "/memberships"

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        return Response(json.dumps({"access_token": f"tok-{self.token_requests}", "token_type": "Bearer",
                                    "expires_in": 3600}), mimetype="application/json")

    def _lineitems(self, request: Request) -> Response:
        return Response(json.dumps([]), mimetype="application/json")

    def _score(self, request: Request) -> Response:
        self.scores.append(json.loads(request.get_data()))
        return Response(b"", status=200)

    def _memberships(self, request: Request) -> Response:
        headers = {"Link": f'<{self.next_link}>; rel="next"'} if self.next_link else {}
        return Response(json.dumps({"id": self.memberships, "members": self.members}),
                        mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json", headers=headers)


def csrf(html: str) -> str:
    """The launch's CSRF token from any form of the page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def register(app: Any, platform: FakePlatform) -> FakePlatform:
    """Register a test platform as `emm-lti platform add` would."""
    from lti_tool.extensions import db
    from lti_tool.platforms.services import PlatformSpec, register_platform

    with app.app_context():
        register_platform(PlatformSpec.build(**platform.registration()))
        db.session.commit()
    return platform


def launched(launcher: Launcher, *, module: str = "m01", **claims: Any) -> Learner:
    """A launch with Moodle-shaped claims (overridden by `claims`), as a Learner driving /l/<ref>/."""
    return Learner.launch(launcher, module, **claims)


def staff(launcher: Launcher, roles: list[str] = INSTRUCTOR, **claims: Any) -> Learner:
    return launched(launcher, **{ROLES: roles, **claims})


def follow(response: requests.Response) -> requests.Response:
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


@contextmanager
def tool_log() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, written as `emm-lti` writes its log (redacted, escaped)."""
    from lti_tool.logs import log_handler

    stream = io.StringIO()
    handler = log_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
