"""`emm-lti purge` and `emm-lti participants export|erase`: retention and one person's data on request."""
from __future__ import annotations

import click

from .cli_support import emm_errors, with_database


@click.command("purge")
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


@click.group("participants")
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


def register_cli(group: click.Group) -> None:
    """Add `purge` and `participants` to the `emm-lti` (or `flask`) command group."""
    group.add_command(purge_command)
    group.add_command(participants_group)
