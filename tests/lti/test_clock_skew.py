"""The LMS's clock a minute ahead or behind: a launch is accepted within EMM_CLOCK_LEEWAY and refused
beyond it, with a message that says which clock to check. Moodle's id_tokens live 60 s, so the default
leeway of 30 s accepts an LMS up to 30 s ahead and up to 90 s behind; 90 s accepts a minute either way."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from flask import Flask

from lti_helpers import FakePlatform, Launcher, LiveServer
from lti_tool.app import create_app
from lti_tool.config import Settings


def launch_with_clock(launcher: Launcher, platform: FakePlatform, skew: int):
    """A login + launch whose id_token says the time is now + skew (iat), valid 60 s as Moodle's."""
    login = launcher.login()
    issued = int(time.time()) + skew
    token = platform.sign(platform.claims(login.nonce, iat=issued, exp=issued + 60))
    return launcher.post_launch(token, login.state, login.cookies)


@pytest.mark.parametrize("skew", [25, -25, -60, -85])
def test_default_leeway_accepts(launcher: Launcher, platform: FakePlatform, skew: int) -> None:
    response = launch_with_clock(launcher, platform, skew)
    assert response.status_code == 303, response.text[:300]


def test_default_leeway_refuses_an_lms_a_minute_ahead(launcher: Launcher, platform: FakePlatform) -> None:
    response = launch_with_clock(launcher, platform, 60)
    assert response.status_code == 400
    assert "issued in the future" in response.text and "more than 30 s ahead" in response.text
    assert "Check the LMS server" in response.text


def test_default_leeway_refuses_an_lms_two_minutes_behind(launcher: Launcher, platform: FakePlatform) -> None:
    response = launch_with_clock(launcher, platform, -120)
    assert response.status_code == 400
    assert "expired" in response.text and "30 s of clock difference" in response.text


@pytest.fixture
def lenient(app: Flask, settings: Settings, platform: FakePlatform) -> Iterator[Launcher]:
    """The same database and platform, served by a tool with EMM_CLOCK_LEEWAY=90."""
    lenient_app = create_app(dataclasses.replace(settings, clock_leeway=90))
    server = LiveServer(lenient_app)
    platform.tool_url = server.url
    yield Launcher(server.url, platform)
    server.stop()


@pytest.mark.parametrize("skew, status", [(60, 303), (-60, 303), (-140, 303), (95, 400), (-155, 400)])
def test_a_wider_leeway_accepts_a_minute_either_way(lenient: Launcher, platform: FakePlatform, skew: int,
                                                     status: int) -> None:
    assert launch_with_clock(lenient, platform, skew).status_code == status
