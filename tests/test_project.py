"""Promises the README makes that are easy to break by accident."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    command = ci_lines[-1].strip()
    assert "pytest" in command
    assert command in (ROOT / "README.md").read_text()


def test_readme_demo_command_uses_a_plain_install() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install -q . && .venv/bin/emm-lti demo" in readme
