"""Facilitator tests: a course on a test platform (its own issuer per test), learners launched for
real over HTTP, and the platform's NRPS roster served on its own host when a test needs one."""
from __future__ import annotations

import pytest

from lti_helpers import FakePlatform, KeyServer
from security_support import PlatformServices


@pytest.fixture
def services(key_server: KeyServer, platform: FakePlatform) -> PlatformServices:
    """Token, AGS and NRPS endpoints of the test platform, on its own host."""
    return PlatformServices(key_server, platform)
