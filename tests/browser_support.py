"""Headless Chromium for browser tests: Debian's chromium driven by Playwright's Python client.

A missing chromium fails the test with the command that installs it; only EMM_SKIP_BROWSER=1
(an explicit, visible choice) turns the browser tests into skips.
"""
from __future__ import annotations

import importlib.resources
import os
import shutil
from functools import cache
from typing import Any

import pytest
from playwright.sync_api import Page

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


#: axe impacts that fail the audit (WCAG 2.1 AA: zero serious or critical violations)
BLOCKING = {"serious", "critical"}


@cache
def axe_source() -> str:
    """axe-core 4.x as shipped inside axe-playwright-python (the rules the audits name, e.g.
    landmark-unique, exist from axe 3.4 on; axe-selenium-python still carries axe 3.1)."""
    path = importlib.resources.files("axe_playwright_python") / "axe.min.js"
    return path.read_text(encoding="utf-8")


def audit(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; return the serious and critical violations (with their targets)."""
    page.add_script_tag(content=axe_source())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in BLOCKING]
