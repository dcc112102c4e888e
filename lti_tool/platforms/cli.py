"""`emm-lti platform add|edit|invite|list|remove`: the LMS platforms allowed to launch this tool."""
from __future__ import annotations

from typing import Any

import click

from ..cli_support import emm_errors, fail, with_database


@click.group("platform")
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
    from ..extensions import db
    from .services import PlatformSpec, register_platform

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
    from ..extensions import db
    from .services import edit_platform

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

    from .registration import MAX_FAILURES, issue_invite
    from ..runtime import runtime

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
    from .services import list_platforms

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
    from ..extensions import db
    from .services import remove_platform

    if not yes and not click.confirm(f"Remove {issuer} client {client_id} and all its records?", default=False):
        raise click.Abort()
    remove_platform(issuer, client_id)
    db.session.commit()
    click.echo(f"removed {issuer} client {client_id}")


def register_cli(group: click.Group) -> None:
    """Add `platform` to the `emm-lti` (or `flask`) command group."""
    group.add_command(platform_group)
