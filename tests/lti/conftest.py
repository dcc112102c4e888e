"""Fixtures for LTI tests: a freshly registered test platform per test, and its launcher."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from lti_helpers import KeyServer, Launcher, LiveServer, FakePlatform
from lti_tool.extensions import db
from lti_tool.platforms.services import PlatformSpec, register_platform


def register(app: Flask, platform: FakePlatform) -> None:
    with app.app_context():
        register_platform(PlatformSpec.build(**platform.registration()))
        db.session.commit()


@pytest.fixture
def platform(app: Flask, tool_server: LiveServer, key_server: KeyServer) -> FakePlatform:
    test_platform = FakePlatform(key_server, tool_server.url)
    register(app, test_platform)
    return test_platform


@pytest.fixture
def launcher(tool_server: LiveServer, platform: FakePlatform) -> Launcher:
    return Launcher(tool_server.url, platform)
