"""Security tests over real HTTP on loopback: one module per attack the tool must withstand, and the
checks that already held, kept as regression tests (test_held_*)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from lti_helpers import FakePlatform, KeyServer
from security_support import PlatformServices, Recorder


@pytest.fixture
def internal() -> Iterator[Recorder]:
    """Stands for an internal service (or an attacker's host): not one of any platform's hosts."""
    server = Recorder()
    yield server
    server.stop()


@pytest.fixture
def services(key_server: KeyServer, platform: FakePlatform) -> PlatformServices:
    """Token, AGS and NRPS endpoints of the test platform, on its own host."""
    return PlatformServices(key_server, platform)
