"""Fixtures for content tests: real module folders, copied so a test can break one file."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from lti_tool.content import check_modules

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def good() -> Path:
    return FIXTURES / "good"


@pytest.fixture
def broken() -> Path:
    return FIXTURES / "broken"


@pytest.fixture
def modules(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture tree (m01 complete with es, m02 outline)."""
    target = tmp_path / "modules"
    shutil.copytree(FIXTURES / "good", target)
    return target


class Writer:
    """Write dedented text under a modules folder; `problems()` lists (file, line, message)."""

    def __init__(self, root: Path):
        self.root = root

    def __call__(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def problems(self) -> list[tuple[str, int, str]]:
        return [(p.file.relative_to(self.root).as_posix(), p.line, p.message)
                for p in check_modules(self.root)]


@pytest.fixture
def write(modules: Path) -> Writer:
    return Writer(modules)
