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


def _readme_settings() -> dict[str, tuple[str, str]]:
    """README's configuration table: variable -> (default cell, meaning cell); a row may name several."""
    import re

    section = (ROOT / "README.md").read_text().split("## Configuration (environment variables)", 1)[1]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if not line.startswith("| `EMM_") or len(cells) != 3:
            continue
        for name in re.findall(r"`(EMM_[A-Z_]+)`", cells[0]):
            assert name not in rows, f"{name} is in README's configuration table twice"
            rows[name] = (cells[1], cells[2])
    return rows


def test_readme_configuration_table_lists_every_setting_once_with_its_default() -> None:
    from dataclasses import MISSING, fields

    from lti_tool.config import Settings, setting_names

    rows = _readme_settings()
    assert sorted(rows) == sorted(setting_names())
    for field in fields(Settings):
        name = "EMM_" + field.name.upper()
        if name not in rows:
            continue
        default, meaning = rows[name]
        assert default and meaning, name
        value = field.default
        if value is MISSING or value is None:
            continue
        if isinstance(value, bool):
            shown = "true" if value else "false"
        elif isinstance(value, tuple):
            shown = ",".join(value)
        elif isinstance(value, float) and value.is_integer():
            shown = str(int(value))
        else:
            shown = str(value)
        assert f"`{shown}`" in default, f"README gives {name} the default {default!r}; Settings has {shown!r}"
