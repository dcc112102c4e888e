"""`emm-lti`: the root command and the commands that set up and run the tool (init, serve, demo).

Each feature package adds its own commands through its `cli.py` `register_cli(group)` (platform,
keys, modules, grades and worker, attempts, report, purge and participants); `db` comes from
Flask-Migrate. Listing or helping with commands loads no app: the app (and the curriculum, the
database) is built only when a command that needs it runs.

Only `init`, `db upgrade` and `demo` change the schema; every other command checks it and exits 2
naming `emm-lti init` when it is missing or old. Bad arguments exit 2 with a message naming the field.
"""
from __future__ import annotations

import logging
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from .cli_support import emm_errors, fail, load_app, require_schema, with_database

log = logging.getLogger(__name__)

__all__ = ["emm_errors", "fail", "init_database", "main", "register_commands", "with_database"]


def _create_app() -> Flask:
    from .app import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:  # a malformed EMM_* setting: bad input, named, exit 2 (no traceback)
        raise click.UsageError(str(exc)) from None


class _Group(FlaskGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102 - click API
        from .config import log_options
        from .logs import configure_logging

        configure_logging(*log_options())  # the one place logging is set up, for every command
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Our commands and Flask-Migrate's `db`, without building the app as FlaskGroup would."""
        self._load_plugin_commands()
        return sorted({*super(FlaskGroup, self).list_commands(ctx), "db"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """`db` (upgrade, current, history …) is Flask-Migrate's group, imported when asked for."""
        if name == "db":
            return _migrations_group()
        return super().get_command(ctx, name)


main = _Group(
    name="emm-lti", create_app=_create_app, add_default_commands=True, add_version_option=False,
    load_dotenv=False, set_debug_flag=False,
    help="EMM2.0 LTI 1.3 tool: run it, register LMS platforms, rotate keys, check content.",
)


def _migrations_group() -> click.Group:
    """Flask-Migrate's `db` group, its `upgrade` first making a SQLite database's file private (0600, in
    a 0700 folder) as `init` does: the one other command that may create the database."""
    import copy
    import functools

    from flask_migrate.cli import db

    group = copy.copy(db)
    group.commands = dict(db.commands)
    upgrade = copy.copy(db.commands["upgrade"])
    migrate = upgrade.callback
    assert migrate is not None

    @functools.wraps(migrate)
    def callback(*args: Any, **kwargs: Any) -> Any:
        _private_sqlite_file(load_app(click.get_current_context()).config["SQLALCHEMY_DATABASE_URI"])
        return migrate(*args, **kwargs)

    upgrade.callback = callback
    group.commands["upgrade"] = upgrade
    return group


def _private_sqlite_file(database_url: str) -> None:
    """Create a SQLite database's folder (0700) and file (0600) before SQLite opens it: its -wal and
    -shm files then get the same mode. Nothing for PostgreSQL."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from .config import private_file, private_folder

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        private_folder(path.parent)
        private_file(path)


def init_database(app: Flask) -> None:
    """Create or upgrade the schema, then make sure a signing key exists (`init`, `demo`, the tests)."""
    from flask_migrate import upgrade

    from . import paths
    from .extensions import db
    from .keys.services import ensure_active_key

    _private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        upgrade(directory=str(paths.migrations_dir()))
        ensure_active_key()
        db.session.commit()


def _prepare_instance(ctx: click.Context) -> None:
    """`init` and `demo` on the app the environment describes: make the instance folder and the
    generated secret key first (no other command writes them). An app handed in (tests) is left alone."""
    from .config import ConfigError, prepare_instance

    info = ctx.find_object(ScriptInfo)
    if info is not None and info.create_app is not _create_app:
        return
    try:
        prepare_instance()
    except ConfigError as exc:
        fail(str(exc))


@main.command("init", with_appcontext=False)  # makes the secret key before the app loads
@click.pass_context
def init_command(ctx: click.Context) -> None:
    """Create the instance folder and secret key, create or upgrade the database schema, and make the
    first signing key. Run it on install and after every upgrade; running it again changes nothing."""
    _prepare_instance(ctx)
    app = load_app(ctx)
    init_database(app)
    click.echo("database ready; signing key ready")


def _loopback_or_fail(host: str, what: str) -> None:
    from .platforms.services import is_loopback_host

    if not is_loopback_host(host):
        fail(f"--host: {what} runs on loopback only (127.0.0.1 or localhost), got {host!r}")


@main.command("serve", with_appcontext=False)  # the metrics folder must exist before the app loads
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Threads per worker.")
@click.option("--behind-proxy", is_flag=True,
              help="Allow a non-loopback --host: a buffering reverse proxy (nginx) is in front and is the "
                   "only client that reaches this address.")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, workers: int, threads: int, behind_proxy: bool) -> None:
    """Run the production server (gunicorn, behind a buffering reverse proxy; config/gunicorn.conf.py has
    the same settings). The schema must be current: run `emm-lti init` first (serve never migrates)."""
    from .config import ConfigError, Settings
    from .server import check_bind, prepare_metrics_dir, run_gunicorn

    try:
        check_bind(host, behind_proxy)
    except ValueError as exc:
        fail(str(exc))
    info = ctx.find_object(ScriptInfo)
    if info is not None and info.create_app is not _create_app:  # an app handed in (tests)
        settings = load_app(ctx).config["EMM"]
    else:
        try:
            settings = Settings.from_env()
            settings.require_secret()
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
    require_schema(settings.database_url)
    prepare_metrics_dir(settings)  # before the app (and prometheus_client) is loaded
    load_app(ctx)  # a broken setting or template folder stops here, before gunicorn forks
    run_gunicorn(host=host, port=port, workers=workers, threads=threads, settings=settings)


@main.command("demo", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address for the tool.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port of the tool.")
@click.option("--lms-port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port of the demo LMS.")
@click.pass_context
def demo_command(ctx: click.Context, host: str, port: int, lms_port: int) -> None:
    """Run the tool and the built-in demo LMS on loopback, and print the URL to open."""
    from .demo_run import run_demo

    _loopback_or_fail(host, "the demo")
    if port == lms_port:
        fail("--lms-port must differ from --port")
    _prepare_instance(ctx)
    app = load_app(ctx)
    init_database(app)
    run_demo(app, host=host, port=port, lms_port=lms_port)


def register_commands(group: click.Group) -> None:
    """Every feature package's commands, on `emm-lti` and (through the app factory) on `flask --app lti_tool`."""
    from . import maintenance_cli
    from .admin import cli as admin_cli
    from .content import cli as content_cli
    from .grades import cli as grades_cli
    from .keys import cli as keys_cli
    from .platforms import cli as platforms_cli
    from .progress import cli as progress_cli

    for package in (platforms_cli, keys_cli, content_cli, grades_cli, progress_cli, admin_cli, maintenance_cli):
        package.register_cli(group)


register_commands(main)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
