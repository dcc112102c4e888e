"""`emm-lti modules check` through click's CliRunner."""
from __future__ import annotations

from click.testing import CliRunner

from lti_tool.content.cli import modules_cli


def test_check_good_folder_exits_0_and_lists_its_quality_warnings(good):
    result = CliRunner().invoke(modules_cli, ["check", "--path", str(good)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "2 modules, 1 complete: OK, 5 warnings"
    assert all(": warning: " in line for line in lines[:-1]) and len(lines) == 6


def test_strict_check_fails_on_warnings(good):
    result = CliRunner().invoke(modules_cli, ["check", "--strict", "--path", str(good)])
    assert result.exit_code == 2 and "OK, 5 warnings" in result.output


def test_check_broken_folder_exits_2_with_file_and_line(broken):
    result = CliRunner().invoke(modules_cli, ["check", "--path", str(broken)])
    assert result.exit_code == 2
    assert "m01/module.yaml:6: unknown field 'colour'" in result.output
    assert "m01/pages/en/01-start.md:9: broken link module:m99: no such module" in result.output
    assert result.output.rstrip().endswith("15 problems in 7 files")


def test_check_missing_path_exits_2(tmp_path):
    result = CliRunner().invoke(modules_cli, ["check", "--path", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output


def test_check_defaults_to_the_configured_modules_folder(good):
    result = CliRunner().invoke(modules_cli, ["check"], env={"EMM_MODULES_PATH": str(good)})
    assert result.exit_code == 0 and "2 modules, 1 complete: OK, 5 warnings" in result.output
