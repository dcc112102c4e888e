"""What each command writes and needs: reading settings or asking for help writes nothing and loads no
app; only `init` (and `demo`, and `db upgrade`) creates the instance folder, its secret key and the schema;
`serve`, `worker` and every other command refuse a missing or old schema with exit 2, naming the command
to run, on SQLite and on PostgreSQL."""
from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lti_tool.config import Settings, prepare_instance, unknown_settings
from lti_tool.schema import current_heads, expected_heads, schema_problem
from process_support import drop_database, emm_lti, scratch_database, tool_env

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("EMM_TEST_DATABASE_URL") else [])
NO_SCHEMA = "Error: the database has no schema yet: run `emm-lti init` (or `emm-lti db upgrade`) first"
#: the revision before the last of the chain: a database an older release migrated
OLD = "0009_pipeline"


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*emm_lti(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: a SQLite file that does not exist yet, or an empty PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'instance' / 'emm-lti.sqlite3'}"
        return
    url = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], "emm_startup")
    yield url
    drop_database(url)


def test_help_in_an_empty_folder_writes_nothing(tmp_path: Path) -> None:
    shown = run(tool_env(), tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    listed = [line.split()[0] for line in shown.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == ["attempts", "db", "demo", "gain", "grades", "init", "keys", "modules", "participants", "platform",
                      "purge", "report", "routes", "run", "serve", "shell", "worker"]
    for command in (["serve", "--help"], ["platform", "add", "--help"], ["db", "--help"], ["report", "--help"]):
        assert run(tool_env(), tmp_path, *command).returncode == 0, command
    assert files(tmp_path) == []


def test_reading_settings_writes_nothing(tmp_path: Path) -> None:
    settings = Settings.from_env(env={"EMM_INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings.secret_key == ""  # none yet: `init` makes it
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'emm-lti.sqlite3'}"
    assert files(tmp_path) == []


def test_read_only_commands_on_a_fresh_folder_name_init_and_write_nothing(tmp_path: Path) -> None:
    for command in (["platform", "list"], ["keys", "list"], ["grades", "status"], ["worker", "--once"], ["serve"]):
        refused = run(tool_env(), tmp_path, *command)
        assert refused.returncode == 2, command
        assert refused.stderr.splitlines()[-1] == (
            f"Error: no secret key: set EMM_SECRET_KEY, or run `emm-lti init` to generate one in "
            f"{tmp_path / 'instance' / 'secret_key'}"), command
    assert files(tmp_path) == []


def test_init_makes_the_instance_and_keeps_its_secret(tmp_path: Path) -> None:
    assert run(tool_env(), tmp_path, "init").returncode == 0
    secret = (tmp_path / "instance" / "secret_key").read_text()
    assert len(secret) >= 32
    assert files(tmp_path) == ["instance", "instance/emm-lti.sqlite3", "instance/secret_key"]
    again = run(tool_env(), tmp_path, "init")
    assert again.returncode == 0 and again.stdout == "database ready; signing key ready\n"
    assert (tmp_path / "instance" / "secret_key").read_text() == secret
    listed = run(tool_env(), tmp_path, "keys", "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1
    # a command that needs neither the curriculum nor the launch-state store opened neither
    assert not (tmp_path / "instance" / "cache").exists()


def test_prepare_instance_leaves_a_given_secret_alone(tmp_path: Path) -> None:
    settings = prepare_instance({"EMM_INSTANCE_PATH": str(tmp_path / "i"), "EMM_SECRET_KEY": "s" * 40})
    assert settings.secret_key == "s" * 40
    assert files(tmp_path) == ["i"]


def test_serve_and_worker_refuse_a_database_without_schema(tmp_path: Path, empty_database: str) -> None:
    env = tool_env(instance_path=tmp_path / "instance", secret_key="k" * 40, database_url=empty_database)
    for command in (["serve", "--port", "1"], ["worker", "--once"], ["platform", "list"], ["report"]):
        refused = run(env, tmp_path, *command)
        assert refused.returncode == 2, (command, refused.stderr)
        assert refused.stderr.splitlines()[-1] == NO_SCHEMA, command
    assert current_heads(empty_database) == set()  # nothing migrated it
    assert files(tmp_path) == []


def test_serve_and_worker_refuse_an_old_schema_until_init(tmp_path: Path, empty_database: str) -> None:
    env = tool_env(instance_path=tmp_path / "instance", secret_key="k" * 40, database_url=empty_database)
    older = run(env, tmp_path, "db", "upgrade", OLD)  # what an older release left behind
    assert older.returncode == 0, older.stderr
    assert current_heads(empty_database) == {OLD}
    wanted = ", ".join(sorted(expected_heads()))
    for command in (["serve", "--port", "1"], ["worker", "--once"], ["keys", "list"]):
        refused = run(env, tmp_path, *command)
        assert refused.returncode == 2, (command, refused.stderr)
        assert refused.stderr.splitlines()[-1] == (
            f"Error: the database schema is at {OLD}, this version needs {wanted}: run `emm-lti init` "
            "(or `emm-lti db upgrade`) first"), command
    assert current_heads(empty_database) == {OLD}  # refusing migrated nothing
    assert run(env, tmp_path, "init").returncode == 0
    assert schema_problem(empty_database) is None
    worker = run(env, tmp_path, "worker", "--once")
    assert worker.returncode == 0 and worker.stdout == "0 deliveries attempted\n"


def test_a_schema_from_a_newer_release_is_named(tmp_path: Path, empty_database: str) -> None:
    env = tool_env(instance_path=tmp_path / "instance", secret_key="k" * 40, database_url=empty_database)
    assert run(env, tmp_path, "init").returncode == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    refused = run(env, tmp_path, "serve", "--port", "1")
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == ("Error: the database is at revision 0099_future, which this version "
                                               "of emm-lti does not know (a newer release migrated it): run the "
                                               "newer release")


def test_unknown_variables_are_listed_once(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    env = {"EMM_SECRET_KEY": "k" * 40, "EMM_ACCESS_LOG": "-", "EMM_FORWARDED_ALLOW_IPS": "127.0.0.1",
           "EMM_TEST_DATABASE_URL": "sqlite://", "EMM_LOG_LEVL": "DEBUG", "EMM_INSTANCE_PATH": str(tmp_path)}
    assert unknown_settings(env) == {"EMM_LOG_LEVL"}
    with caplog.at_level(logging.WARNING, logger="lti_tool.config"):
        Settings.from_env(env=env)
        Settings.from_env(env=env)
    assert [r.getMessage() for r in caplog.records] == [
        "unknown setting EMM_LOG_LEVL is ignored (a typo? README's configuration table lists every setting)"]
