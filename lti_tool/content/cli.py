"""`emm-lti modules check`: the curriculum checked as the app would load it, with no database."""
from __future__ import annotations

from pathlib import Path

import click

from .loader import load_modules

EXIT_PROBLEMS = 2


@click.group("modules", help="Work with the curriculum in the modules folder.")
def modules_cli() -> None:
    """Group the content commands under `emm-lti modules`."""


@modules_cli.command("check")
@click.option("--path", "path", type=click.Path(path_type=Path), default=None,
              help="Modules folder to check (default: the one the app serves).")
@click.option("--strict", is_flag=True, help="Exit 2 on quality warnings too, not only on errors.")
@click.pass_context
def check(ctx: click.Context, path: Path | None, strict: bool) -> None:
    """Validate every module.yaml, page and quiz file; exit 2 when anything is wrong.

    Quality warnings (clues a test-wise learner could use, small pools, untagged questions,
    minutes that do not follow the content) are printed too; they fail the check with --strict.
    """
    if path is None:
        from ..config import ConfigError, Settings
        from ..paths import modules_dir

        try:
            path = Settings.from_env().modules_path or modules_dir()  # EMM_MODULES_PATH, as the app reads it
        except (ConfigError, RuntimeError) as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_PROBLEMS)
    if not path.is_dir():
        click.echo(f"Error: {path} is not a folder (--path takes the folder that holds m01, m02, ...)",
                   err=True)
        ctx.exit(EXIT_PROBLEMS)
    loaded = load_modules(path, thorough=True)
    cwd = Path.cwd()
    for problem in sorted(loaded.problems + loaded.warnings, key=lambda p: (str(p.file), p.line)):
        click.echo(problem.format(relative_to=cwd))
    count, warned = len(loaded.problems), len(loaded.warnings)
    warnings = f"{warned} warning{'s' * (warned != 1)}"
    if count:
        files = len({p.file for p in loaded.problems})
        also = f", {warnings}" if warned else ""
        click.echo(f"{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}{also}")
        ctx.exit(EXIT_PROBLEMS)
    complete = sum(m.is_complete for m in loaded.modules)
    verdict = "OK" if not warned else f"OK, {warnings}"
    click.echo(f"{len(loaded.modules)} modules, {complete} complete: {verdict}")
    if warned and strict:
        ctx.exit(EXIT_PROBLEMS)


def register_cli(group: click.Group) -> None:
    """Add `modules` to the `emm-lti` (or `flask`) command group."""
    group.add_command(modules_cli)
