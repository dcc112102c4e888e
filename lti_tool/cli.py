"""`emm-lti`: serve, demo, init, and the platform / keys / modules command groups.

Bad arguments exit with status 2 and a message naming the field, as click does for usage errors.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable

import click
from flask import Flask
from flask.cli import FlaskGroup

from .content.cli import modules_cli
from .errors import EmmError

log = logging.getLogger(__name__)


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


main = _Group(
    name="emm-lti", create_app=_create_app, add_default_commands=True, add_version_option=False,
    load_dotenv=False, set_debug_flag=False,
    help="EMM2.0 LTI 1.3 tool: run it, register LMS platforms, rotate keys, check content.",
)


def fail(message: str) -> None:
    """Exit with status 2 and a clear message: the CLI's way of refusing bad input."""
    raise click.UsageError(message)


def emm_errors(command: Callable) -> Callable:
    """Turn our errors into exit status 2 with their message (no traceback)."""
    import functools

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EmmError as exc:
            from .extensions import db

            db.session.rollback()
            fail(exc.message)

    return wrapper


def with_database(command: Callable) -> Callable:
    """Run inside the app context on an up-to-date schema, so no command meets a missing table."""
    import functools

    @functools.wraps(command)
    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = _ScriptInfoProxy.load_app(ctx)
        init_database(app)
        with app.app_context():
            return ctx.invoke(command, *args, **kwargs)

    return wrapper


def init_database(app: Flask) -> None:
    """Create or upgrade the schema, then make sure a signing key exists."""
    from flask_migrate import upgrade

    from . import paths
    from .extensions import db
    from .keys.services import ensure_active_key

    with app.app_context():
        upgrade(directory=str(paths.migrations_dir()))
        ensure_active_key()
        db.session.commit()


@main.command("init")
@click.pass_context
def init_command(ctx: click.Context) -> None:
    """Create or upgrade the database schema and the first key pair."""
    app = ctx.ensure_object(_ScriptInfoProxy).load_app(ctx)
    init_database(app)
    click.echo("database ready; signing key ready")


class _ScriptInfoProxy:
    """Helper to reach FlaskGroup's app loading from plain commands."""

    @staticmethod
    def load_app(ctx: click.Context) -> Flask:
        from flask.cli import ScriptInfo

        return ctx.find_object(ScriptInfo).load_app()


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
    the same settings)."""
    from .config import ConfigError, Settings
    from .server import check_bind, prepare_metrics_dir, run_gunicorn

    try:
        check_bind(host, behind_proxy)
    except ValueError as exc:
        fail(str(exc))
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    prepare_metrics_dir(settings)  # before the app (and prometheus_client) is loaded
    app = _ScriptInfoProxy.load_app(ctx)
    init_database(app)
    run_gunicorn(host=host, port=port, workers=workers, threads=threads, settings=settings)


@main.command("demo")
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
    app = _ScriptInfoProxy.load_app(ctx)
    init_database(app)
    run_demo(app, host=host, port=port, lms_port=lms_port)


# -- platform -------------------------------------------------------------------------------------

@main.group("platform")
def platform_group() -> None:
    """Register the LMS platforms allowed to launch this tool."""


@platform_group.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://moodle.example.org")
@click.option("--client-id", required=True, help="The client ID the platform gave this tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Deployment ID; repeat for several.")
@click.option("--auth-login-url", required=True, help="Platform OIDC authentication URL (Moodle: /mod/lti/auth.php).")
@click.option("--auth-token-url", required=True, help="Platform access token URL (Moodle: /mod/lti/token.php).")
@click.option("--key-set-url", required=True, help="Platform public keyset URL (Moodle: /mod/lti/certs.php).")
@click.option("--name", default=None, help="A name people recognise, e.g. 'Moodle — Grenada'.")
@click.option("--auth-audience", default=None, help="Token audience when it is not the token URL (rare).")
@click.option("--service-host", "service_hosts", multiple=True, metavar="HOST[:PORT]",
              help="A host the platform's services (grades, roster) live on besides its URLs above, e.g. "
                   "the institution's domain on Canvas; repeat for several.")
@with_database
@emm_errors
def platform_add(**values: Any) -> None:
    """Register a platform. An existing issuer and client ID is refused: change it with `platform edit`."""
    from .extensions import db
    from .platforms.services import PlatformSpec, register_platform

    spec = PlatformSpec.build(**values)
    platform = register_platform(spec)
    db.session.commit()
    click.echo(f"platform {platform.id} registered: {platform.issuer} client {platform.client_id}, "
               f"deployments {', '.join(d.deployment_id for d in platform.deployments)}"
               + (f", service hosts {', '.join(spec.service_hosts)}" if spec.service_hosts else ""))


@platform_group.command("edit")
@click.option("--issuer", required=True, help="The platform's issuer, as registered.")
@click.option("--client-id", required=True, help="The platform's client ID, as registered.")
@click.option("--name", default=None)
@click.option("--auth-login-url", default=None)
@click.option("--auth-token-url", default=None)
@click.option("--key-set-url", default=None)
@click.option("--auth-audience", default=None)
@click.option("--service-host", "service_hosts", multiple=True, metavar="HOST[:PORT]",
              help="Replace the extra service hosts with these (repeat for several).")
@click.option("--no-service-hosts", is_flag=True, help="Remove every extra service host.")
@click.option("--add-deployment-id", "add_deployment_ids", multiple=True, help="Add a deployment; repeat for several.")
@with_database
@emm_errors
def platform_edit(issuer: str, client_id: str, service_hosts: tuple[str, ...], no_service_hosts: bool,
                  add_deployment_ids: tuple[str, ...], **changes: Any) -> None:
    """Change a registered platform. Every change is logged at WARNING with its old and new value."""
    from .extensions import db
    from .platforms.services import edit_platform

    if service_hosts and no_service_hosts:
        fail("--service-host and --no-service-hosts: give one or the other")
    if service_hosts or no_service_hosts:
        changes["service_hosts"] = list(service_hosts)
    _platform, done = edit_platform(issuer, client_id, add_deployment_ids=add_deployment_ids, **changes)
    db.session.commit()
    if not done:
        click.echo(f"{issuer} client {client_id}: nothing changed")
    for key, (old, new) in done.items():
        click.echo(f"{key}: {old!r} -> {new!r}" if key != "deployments" else f"deployments added: {', '.join(new)}")


@platform_group.command("invite")
@click.option("--tool-url", required=True,
              help="This tool's public base URL as the LMS reaches it, e.g. https://emm.example.org")
@click.option("--hours", type=click.FloatRange(min=0.02, max=168), default=1.0, show_default=True,
              help="How long the link can be used (it works once).")
@click.option("--issuer", default=None,
              help="Only this LMS (its issuer) may use the link; needed to add a registration for an "
                   "issuer that already has one, or an LMS on a private address.")
@with_database
@emm_errors
def platform_invite(tool_url: str, hours: float, issuer: str | None) -> None:
    """Print a one-time link for LTI Dynamic Registration: paste it into the LMS
    (Moodle: Manage tools, Tool URL, "Add LTI Advantage")."""
    from datetime import datetime, timezone

    from .platforms.registration import MAX_FAILURES, issue_invite
    from .runtime import runtime

    invite = issue_invite(runtime().state_store, tool_url, int(hours * 3600), issuer=issuer)
    until = datetime.fromtimestamp(invite.expires_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    click.echo(invite.url)
    click.echo(f"valid once, until {until} ({MAX_FAILURES} failed attempts use it up)"
               + (f", for {issuer} only" if issuer else "")
               + "; the LMS registers the tool and this tool records the platform", err=True)


@platform_group.command("list")
@with_database
def platform_list() -> None:
    """List registered platforms and their deployments."""
    from .platforms.services import list_platforms

    platforms = list_platforms()
    if not platforms:
        click.echo("no platforms registered: add one with `emm-lti platform add`")
    for p in platforms:
        click.echo(f"{p.id}\t{p.name}\t{p.issuer}\tclient {p.client_id}\t"
                   f"deployments {','.join(d.deployment_id for d in p.deployments)}")


@platform_group.command("remove")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_database
@emm_errors
def platform_remove(issuer: str, client_id: str, yes: bool) -> None:
    """Remove a platform and everything recorded under it."""
    from .extensions import db
    from .platforms.services import remove_platform

    if not yes and not click.confirm(f"Remove {issuer} client {client_id} and all its records?", default=False):
        raise click.Abort()
    remove_platform(issuer, client_id)
    db.session.commit()
    click.echo(f"removed {issuer} client {client_id}")


# -- keys -----------------------------------------------------------------------------------------

@main.group("keys")
def keys_group() -> None:
    """The tool's signing keys (published at /.well-known/jwks.json)."""


@keys_group.command("list")
@with_database
def keys_list() -> None:
    """List keys with their status; private keys are never shown."""
    from .keys.services import list_keys

    for key in list_keys():
        click.echo(f"{key.kid}\t{key.status.value}\tcreated {key.created_at:%Y-%m-%d %H:%M}")


@keys_group.command("rotate")
@with_database
def keys_rotate() -> None:
    """Make a new active key; the old one stays published until `keys retire`."""
    from .extensions import db
    from .keys.services import rotate

    key = rotate()
    db.session.commit()
    click.echo(f"new active key {key.kid}; previous keys stay in the JWKS until retired")


@keys_group.command("retire")
@click.argument("kid")
@with_database
@emm_errors
def keys_retire(kid: str) -> None:
    """Remove a no-longer-active key from the JWKS."""
    from .extensions import db
    from .keys.services import retire

    retire(kid)
    db.session.commit()
    click.echo(f"key {kid} retired")


main.add_command(modules_cli)


@main.command("purge")
@with_database
def purge_command() -> None:
    """Delete expired launches and used nonces, and with EMM_RETENTION_DAYS the participants not seen
    for that long (the grade worker also does this every 10 minutes)."""
    from flask import current_app

    from .extensions import db
    from .maintenance import purge_expired

    from .runtime import runtime

    days = current_app.config["EMM"].retention_days
    purged = purge_expired(days, store=runtime().state_store)
    db.session.commit()
    click.echo(f"deleted {purged.launches} expired launches, {purged.nonces} expired nonces and "
               f"{purged.states} expired launch states"
               + (f"; erased {purged.participants} participants not seen for {days} days" if days else ""))


@main.group("participants")
def participants_group() -> None:
    """One person's data, on request: export it, or erase it."""


@participants_group.command("export")
@click.option("--issuer", required=True, help="The LMS's issuer.")
@click.option("--user-id", "sub", required=True, help="The person's LMS user id (the LTI `sub`).")
@with_database
@emm_errors
def participants_export(issuer: str, sub: str) -> None:
    """Print everything stored about one person as JSON."""
    import json

    from .maintenance import export_participant, find_participant

    click.echo(json.dumps(export_participant(find_participant(issuer, sub)), indent=2, ensure_ascii=False))


@participants_group.command("erase")
@click.option("--issuer", required=True, help="The LMS's issuer.")
@click.option("--user-id", "sub", required=True, help="The person's LMS user id (the LTI `sub`).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_database
@emm_errors
def participants_erase(issuer: str, sub: str, yes: bool) -> None:
    """Delete one person and everything about them (their grades already in the LMS stay there)."""
    from .extensions import db
    from .maintenance import erase_participant, find_participant
    from .runtime import runtime

    participant = find_participant(issuer, sub)
    if not yes and not click.confirm(f"Erase {participant.name or sub} and all their records?", default=False):
        raise click.Abort()
    erase_participant(participant, runtime().state_store)
    db.session.commit()
    click.echo(f"erased user {sub} of {issuer}")


def _register_grades() -> None:
    from .grades.cli import register
    from .progress.cli import register as register_attempts

    register(main, with_database, emm_errors, fail)
    register_attempts(main, with_database, emm_errors, fail)


_register_grades()


def _register_report() -> None:
    from .admin.cli import register

    register(main, with_database, emm_errors, fail)


_register_report()


def register_flask_commands(app: Flask) -> None:
    """`flask --app lti_tool …` offers the same groups as `emm-lti`."""
    for command in (platform_group, keys_group, modules_cli):
        app.cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
