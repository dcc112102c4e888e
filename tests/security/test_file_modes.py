"""The instance folder is 0700 and every file in it 0600: database (and its -wal/-shm), launch
state store, secret key; an existing world-readable database is tightened at start."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Flask

from lti_tool.app import create_app
from lti_tool.cli import init_database
from lti_tool.config import Settings, prepare_instance
from lti_tool.runtime import runtime


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_instance_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        instance = tmp_path / "instance"
        settings = prepare_instance({"EMM_INSTANCE_PATH": str(instance), "EMM_EMBEDDED_WORKER": "false"})
        app: Flask = create_app(settings)
        init_database(app)
        runtime(app).state_store.put("k", {}, 60)  # opened on first use
        with app.app_context():
            from lti_tool.extensions import db

            db.session.execute(db.text("SELECT 1"))  # a live connection: the WAL files exist
            files = sorted(p for p in instance.rglob("*") if p.is_file())
            names = {p.name for p in files}
            assert {"emm-lti.sqlite3", "secret_key", "state.sqlite3"} <= names
            assert "emm-lti.sqlite3-wal" in names and "emm-lti.sqlite3-shm" in names
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
            db.session.remove()
            db.engine.dispose()
        assert mode(instance) == 0o700 and mode(instance / "cache") == 0o700
    finally:
        os.umask(old)


def test_an_existing_readable_database_is_tightened(tmp_path: Path) -> None:
    instance = tmp_path / "old"
    instance.mkdir(mode=0o755)
    database = instance / "emm-lti.sqlite3"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    app = create_app(Settings.from_env(env={}, instance_path=str(instance), embedded_worker=False,
                                       secret_key="s" * 40))
    assert mode(database) == 0o600 and mode(instance) == 0o700
    with app.app_context():
        from lti_tool.extensions import db

        db.engine.dispose()
