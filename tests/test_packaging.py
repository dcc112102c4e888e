"""A plain (non-editable) wheel carries the curriculum and templates, and finds them from any folder."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("emm_lti-*.whl"))


def test_wheel_ships_modules_templates_migrations_and_static(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "lti_tool/_bundled/modules/m01/module.yaml",
        "lti_tool/_bundled/modules/m01/quiz/es.yaml",
        "lti_tool/_bundled/modules/glossary.yaml",
        "lti_tool/_bundled/templates/learner/glossary.html",
        "lti_tool/_bundled/templates/base.html",
        "lti_tool/migrations/env.py",
        "lti_tool/migrations/versions/0001_initial_schema.py",
        "lti_tool/static/emm.css",
    ):
        assert required in names, required
    assert not any(name.startswith("tests/") for name in names)


def test_installed_wheel_finds_its_content_from_any_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "from lti_tool import paths; from lti_tool.content import check_modules;"
        "print(paths.modules_dir()); print(paths.templates_dir()); print(len(check_modules(paths.modules_dir())))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    modules_dir, templates_dir, problems = result.stdout.split()
    assert modules_dir == str(site / "lti_tool" / "_bundled" / "modules")
    assert templates_dir == str(site / "lti_tool" / "_bundled" / "templates")
    assert problems == "0"
