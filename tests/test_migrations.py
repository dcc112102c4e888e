"""The schema the migrations build is the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from lti_tool.extensions import db


def test_migrations_match_the_models(app: Flask) -> None:
    # the `app` fixture's database was built by running every migration (init_database)
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == [], "add a migration for: " + repr(differences)


def test_the_migrations_are_one_line_of_revisions(app: Flask) -> None:
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"more than one head: {heads}"
