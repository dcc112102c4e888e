"""`emm-lti modules ...` commands; the content feature registers `modules_cli` on the app's CLI."""
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
@click.pass_context
def check(ctx: click.Context, path: Path | None) -> None:
    """Validate every module.yaml, page and quiz file; exit 2 when anything is wrong."""
    if path is None:
        from lti_tool.paths import modules_dir  # late: resolution reads the environment

        try:
            path = modules_dir()
        except RuntimeError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_PROBLEMS)
    if not path.is_dir():
        click.echo(f"Error: {path} is not a folder (--path takes the folder that holds m01, m02, ...)",
                   err=True)
        ctx.exit(EXIT_PROBLEMS)
    loaded = load_modules(path)
    cwd = Path.cwd()
    for problem in loaded.problems:
        click.echo(problem.format(relative_to=cwd))
    count = len(loaded.problems)
    if count:
        files = len({p.file for p in loaded.problems})
        click.echo(f"{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}")
        ctx.exit(EXIT_PROBLEMS)
    complete = sum(m.is_complete for m in loaded.modules)
    click.echo(f"{len(loaded.modules)} modules, {complete} complete: OK")
