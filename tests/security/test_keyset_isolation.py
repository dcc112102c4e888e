"""A slow key set of one LMS holds only that LMS's launches (the fetch is single flight per
key-set URL, not under a process-wide lock), and a key set is read up to 1 MB."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from werkzeug.wrappers import Request, Response

from lti_helpers import FakePlatform, KeyServer, Launcher
from lti_tool.extensions import db
from lti_tool.platforms.services import PlatformSpec, register_platform


class SlowKeySet:
    """A key-set URL on the fake LMS that answers only when the test releases it."""

    def __init__(self, key_server: KeyServer, platform: FakePlatform):
        self.entered = threading.Event()
        self.release = threading.Event()
        self.hits = 0
        self.url = f"{key_server.url}/{platform.slug}/slow-jwks"
        keys = key_server.keysets[platform.slug]

        def answer(request: Request) -> Response:
            self.hits += 1
            self.entered.set()
            self.release.wait(20)
            return Response(json.dumps({"keys": keys}), mimetype="application/json")

        key_server.routes[f"/{platform.slug}/slow-jwks"] = answer


def registered(app: Flask, platform: FakePlatform, key_set_url: str | None = None) -> FakePlatform:
    values = platform.registration()
    if key_set_url:
        values["key_set_url"] = key_set_url
    with app.app_context():
        register_platform(PlatformSpec.build(**values))
        db.session.commit()
    return platform


@pytest.fixture
def slow(app: Flask, key_server: KeyServer, tool_server) -> Iterator[tuple[Launcher, SlowKeySet]]:
    platform = FakePlatform(key_server, tool_server.url)
    keyset = SlowKeySet(key_server, platform)
    registered(app, platform, keyset.url)
    yield Launcher(tool_server.url, platform), keyset
    keyset.release.set()


def test_a_slow_key_set_does_not_hold_another_lms(app: Flask, key_server: KeyServer, tool_server,
                                                  slow: tuple[Launcher, SlowKeySet]) -> None:
    slow_launcher, keyset = slow
    other = Launcher(tool_server.url, registered(app, FakePlatform(key_server, tool_server.url)))
    results: list[int] = []
    stuck = [threading.Thread(target=lambda: results.append(slow_launcher.launch().status_code)) for _ in range(2)]
    for thread in stuck:
        thread.start()
    assert keyset.entered.wait(5), "the slow key set was never asked for"
    # the other LMS's key set is cold too: its launch fetches it while the slow fetch is in flight
    # (under one process-wide lock it would wait for the slow LMS, and time out here)
    login = other.login()
    token = other.platform.sign(other.platform.claims(login.nonce))
    answer = requests.post(tool_server.url + "/lti/launch", data={"id_token": token, "state": login.state},
                           cookies=login.cookies, allow_redirects=False, timeout=5)
    assert answer.status_code == 303
    assert keyset.hits == 1 and not keyset.release.is_set()
    keyset.release.set()
    for thread in stuck:
        thread.join(15)
    assert results == [303, 303]
    assert keyset.hits == 1  # single flight: the second launch waited for the first fetch


def test_a_key_set_over_one_megabyte_is_refused(app: Flask, key_server: KeyServer, tool_server) -> None:
    platform = FakePlatform(key_server, tool_server.url)
    padding = [{"kid": f"pad-{n}", "kty": "oct", "k": "x" * 1000} for n in range(1100)]
    key_server.keysets[platform.slug] = key_server.keysets[platform.slug] + padding
    registered(app, platform)
    refused = Launcher(tool_server.url, platform).launch()
    assert refused.status_code == 502
    assert "larger than 1024 KB" in refused.text


def test_forged_kids_refetch_at_most_once_per_interval(key_server: KeyServer, tool_server) -> None:
    from lti_tool.errors import LaunchError
    from lti_tool.lms.keysets import PlatformKeySets

    platform = FakePlatform(key_server, tool_server.url)
    keysets = PlatformKeySets(refetch_interval=60)
    assert keysets.key_for(platform.key_set_url, platform.kid) is not None
    fetched = key_server.hits[platform.slug]
    for n in range(5):
        with pytest.raises(LaunchError, match="not in the LMS's key set"):
            keysets.key_for(platform.key_set_url, f"forged-{n}")
    assert key_server.hits[platform.slug] == fetched  # within the interval, no request at all
    eager = PlatformKeySets(refetch_interval=0)
    eager.key_for(platform.key_set_url, platform.kid)
    with pytest.raises(LaunchError):
        eager.key_for(platform.key_set_url, "forged")
    assert key_server.hits[platform.slug] == fetched + 2  # its first fetch, and one re-fetch for the unknown kid
