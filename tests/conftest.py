"""Shared fixtures: a real database per backend, the tool on loopback HTTP, a fake LMS key server.

Backends: SQLite always; PostgreSQL too when EMM_TEST_DATABASE_URL is set (each pytest worker
gets its own throw-away database there). Every fixture that touches the database is parametrized
by backend, so the whole LTI suite runs once per backend.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from lti_tool.app import create_app
from lti_tool.cli import init_database
from lti_tool.config import Settings

from e2e_support import DemoLmsServer
from lti_helpers import FakePlatform, KeyServer, Launcher, LiveServer

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("EMM_TEST_DATABASE_URL") else [])


def _postgres_database(base_url: str, name: str) -> str:
    """Create database `name` on the server of base_url and return its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if base_url.startswith("postgresql://") else base_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def _drop_postgres_database(db_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'emm-test.sqlite3'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = _postgres_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_test_{worker}_{secrets.token_hex(3)}")
    yield url
    from lti_tool.extensions import db  # noqa: F401 - engines are disposed with the app below

    _drop_postgres_database(url)


FIXTURE_MODULES = Path(__file__).parent / "fixtures" / "modules"


@pytest.fixture(scope="session")
def curriculum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped curriculum (modules and glossary) plus the test's own odd modules (an outline),
    linked into one folder."""
    from lti_tool.content.glossary import GLOSSARY_FILE
    from lti_tool.paths import modules_dir

    folder = tmp_path_factory.mktemp("curriculum")
    for source in [*modules_dir().iterdir(), *FIXTURE_MODULES.iterdir()]:
        if source.is_dir() or source.name == GLOSSARY_FILE:
            (folder / source.name).symlink_to(source, target_is_directory=source.is_dir())
    return folder


@pytest.fixture(scope="session")
def settings(database_url: str, curriculum: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    instance = tmp_path_factory.mktemp("instance")
    return Settings.from_env(
        env={}, instance_path=str(instance), database_url=database_url, modules_path=str(curriculum),
        cache_url=f"file://{instance / 'cache'}", secret_key="test-secret-" + secrets.token_hex(16),
        embedded_worker=False, keyset_refetch_interval=0, grade_retry_base=0.02, grade_retry_cap=0.2,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    init_database(application)
    yield application
    with application.app_context():
        from lti_tool.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def tool_server(app: Flask) -> Iterator[LiveServer]:
    """The tool over real HTTP on 127.0.0.1."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def key_server() -> Iterator[KeyServer]:
    """A fake LMS that serves per-platform key sets over HTTP (the tool fetches them for real)."""
    server = KeyServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_lms(app: Flask, tool_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoLmsServer]:
    server = DemoLmsServer(app, tool_server.url, tmp_path_factory.mktemp("demo-lms"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium per test session (starting it costs about a second)."""
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM_ARGS, chromium_executable

    executable = chromium_executable()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def db_session(app: Flask) -> Iterator:
    """An app context and its session, for tests that read or write rows directly."""
    from lti_tool.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def register(app: Flask, platform: FakePlatform) -> None:
    """Register a test platform in the tool's database, as `emm-lti platform add` would."""
    from lti_tool.extensions import db
    from lti_tool.platforms.services import PlatformSpec, register_platform

    with app.app_context():
        register_platform(PlatformSpec.build(**platform.registration()))
        db.session.commit()


@pytest.fixture
def platform(app: Flask, tool_server: LiveServer, key_server: KeyServer) -> FakePlatform:
    """A freshly registered test platform (its own issuer and keys) per test."""
    test_platform = FakePlatform(key_server, tool_server.url)
    register(app, test_platform)
    return test_platform


@pytest.fixture
def launcher(tool_server: LiveServer, platform: FakePlatform) -> Launcher:
    """Login + launch against the live tool with Moodle-shaped id_tokens signed by `platform`."""
    return Launcher(tool_server.url, platform)
