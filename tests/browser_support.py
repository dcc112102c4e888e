"""Headless Chromium for browser tests: Debian's chromium driven by Playwright's Python client.

A missing chromium fails the test with the command that installs it; only EMM_SKIP_BROWSER=1
(an explicit, visible choice) turns the browser tests into skips.
"""
from __future__ import annotations

import os
import shutil

import pytest

#: the flags this closed, root-run machine needs (no sandbox as root, no background network)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]


def chromium_executable() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("EMM_SKIP_BROWSER") == "1":
        pytest.skip("EMM_SKIP_BROWSER=1: browser tests skipped on purpose")
    pytest.fail("browser tests need Debian's chromium: run `apt-get install chromium` "
                "(or `bash .ci/run`, which installs it), or set EMM_SKIP_BROWSER=1 to skip them knowingly")
