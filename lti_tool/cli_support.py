"""What every `emm-lti` command shares: refusing bad input with exit 2, loading the app only when a
command needs it, and running on a schema that is already up to date (commands never migrate it).

Feature packages import these for their own `cli.py`; `lti_tool/cli.py` gathers the packages."""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, NoReturn

import click
from flask import Flask

from .errors import EmmError

log = logging.getLogger(__name__)


def fail(message: str) -> NoReturn:
    """Exit with status 2 and a clear message: the CLI's way of refusing bad input."""
    raise click.UsageError(message)


def emm_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors into exit status 2 with their message (no traceback)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EmmError as exc:
            from .extensions import db

            db.session.rollback()
            fail(exc.message)

    return wrapper


def load_app(ctx: click.Context) -> Flask:
    """The app of this invocation (FlaskGroup's ScriptInfo builds it once, on first need)."""
    from flask.cli import ScriptInfo

    info = ctx.find_object(ScriptInfo)
    if info is None:
        info = ctx.ensure_object(ScriptInfo)
    return info.load_app()


def require_schema(database_url: str) -> None:
    """Exit 2 naming `emm-lti init` when the schema is missing or older than this code."""
    from sqlalchemy.exc import OperationalError

    from .config import mask_password
    from .schema import schema_problem

    try:
        problem = schema_problem(database_url)
    except OperationalError as exc:
        fail(f"cannot reach the database {mask_password(database_url)}: {str(exc.orig).strip()}")
    if problem:
        fail(problem)


def with_database(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run inside the app context on an up-to-date schema; a missing or old one exits 2 naming the fix."""

    @functools.wraps(command)
    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        app = load_app(ctx)
        require_schema(app.config["SQLALCHEMY_DATABASE_URI"])
        with app.app_context():
            return ctx.invoke(command, *args, **kwargs)

    return wrapper
