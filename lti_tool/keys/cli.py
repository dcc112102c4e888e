"""`emm-lti keys list|rotate|retire`: the tool's signing keys (published at /.well-known/jwks.json)."""
from __future__ import annotations

import click

from ..cli_support import emm_errors, with_database


@click.group("keys")
def keys_group() -> None:
    """The tool's signing keys (published at /.well-known/jwks.json)."""


@keys_group.command("list")
@with_database
def keys_list() -> None:
    """List keys with their status; private keys are never shown."""
    from .services import list_keys

    for key in list_keys():
        click.echo(f"{key.kid}\t{key.status.value}\tcreated {key.created_at:%Y-%m-%d %H:%M}")


@keys_group.command("rotate")
@with_database
def keys_rotate() -> None:
    """Make a new active key; the old one stays published until `keys retire`."""
    from ..extensions import db
    from .services import rotate

    key = rotate()
    db.session.commit()
    click.echo(f"new active key {key.kid}; previous keys stay in the JWKS until retired")


@keys_group.command("retire")
@click.argument("kid")
@with_database
@emm_errors
def keys_retire(kid: str) -> None:
    """Remove a no-longer-active key from the JWKS."""
    from ..extensions import db
    from .services import retire

    retire(kid)
    db.session.commit()
    click.echo(f"key {kid} retired")


def register_cli(group: click.Group) -> None:
    """Add `keys` to the `emm-lti` (or `flask`) command group."""
    group.add_command(keys_group)
