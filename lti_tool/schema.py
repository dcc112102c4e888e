"""Is the database's schema the one this code expects? Only `emm-lti init`, `emm-lti db upgrade` and
`emm-lti demo` migrate; `serve`, `worker` and every other command check with `schema_problem` and
refuse to run on a missing or old schema, naming the command that fixes it."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from . import paths

log = logging.getLogger(__name__)

#: what an operator runs to create or migrate the schema
FIX = "run `emm-lti init` (or `emm-lti db upgrade`) first"


def _scripts() -> Any:
    """Alembic's view of the migrations shipped inside the package."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    return ScriptDirectory.from_config(config)


def expected_heads() -> set[str]:
    """The head revision(s) of the migrations shipped with this code."""
    return set(_scripts().get_heads())


def current_heads(database_url: str) -> set[str]:
    """The revision(s) the database is at; empty for a database never migrated. A SQLite file that does
    not exist is not created (connecting would create it)."""
    from alembic.runtime.migration import MigrationContext

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        return set()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def schema_problem(database_url: str) -> str | None:
    """A sentence saying why the schema is not ready for this code, or None when it is."""
    current, expected = current_heads(database_url), expected_heads()
    if current == expected:
        return None
    if not current:
        return f"the database has no schema yet: {FIX}"
    if current - expected and not _known(current):
        return (f"the database is at revision {', '.join(sorted(current))}, which this version of emm-lti "
                "does not know (a newer release migrated it): run the newer release")
    return (f"the database schema is at {', '.join(sorted(current))}, this version needs "
            f"{', '.join(sorted(expected))}: {FIX}")


def _known(revisions: set[str]) -> bool:
    """Whether every revision is one of ours (older or current), not one a newer release added."""
    from alembic.util import CommandError

    scripts = _scripts()
    try:
        return all(scripts.get_revision(rev) is not None for rev in revisions)
    except CommandError:  # alembic's "Can't locate revision"
        return False
