"""Browser test fixtures: a Chromium context that may inject axe-core and records request origins."""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext


@pytest.fixture
def audit_context(browser: Browser, tool_server) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context that may inject axe (CSP bypassed) and records every request's origin."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 800})
    origins: list[str] = []
    context.on("request", lambda request: origins.append(
        "{0.scheme}://{0.netloc}".format(urlsplit(request.url))))
    yield context, origins
    context.close()
