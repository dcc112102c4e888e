"""The application factory: a list of register_* calls, no network, no migrations, no prompts."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from . import paths
from .config import Settings
from .errors import EmmError
from .extensions import babel, db, migrate
from .runtime import build_runtime
from .sessions import NoSession

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the tool. Tests pass `settings` (or keyword overrides of EMM_* settings)."""
    settings = settings or Settings.from_env(**overrides)
    settings.require_secret()
    app = Flask(
        __name__,
        template_folder=str(settings.templates_path or paths.templates_dir()),
        instance_path=str(settings.instance_path),
        instance_relative_config=True,
    )
    app.config.update(settings.flask_config())
    app.session_interface = NoSession()
    register_extensions(app, settings)
    register_blueprints(app)
    register_monitoring(app, settings)
    register_request_hooks(app)
    register_signals()
    register_error_handlers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    from flask_babel import get_locale

    from . import models  # noqa: F401 - the whole schema, before anything queries it
    from .countries import local_country_name
    from .i18n import select_locale, select_timezone, zone_label

    db.init_app(app)
    migrate.init_app(app, db, directory=str(paths.migrations_dir()))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(paths.translations_dir()))
    app.jinja_env.globals.update(get_locale=get_locale, zone_label=zone_label, country_name=local_country_name)
    _configure_sqlite(app)
    from . import charts

    charts.register(app)
    # the curriculum and the launch-state store are opened on first use: a command that needs neither
    # (`emm-lti platform list`) neither reads 16 modules nor creates a cache file
    app.extensions["emm"] = build_runtime(settings)


def _configure_sqlite(app: Flask) -> None:
    """WAL lets readers and the one writer work at once; foreign keys are off by default in SQLite.

    The database file is created by `emm-lti init` (`cli.init_database`), never here."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from .config import private_file, private_folder

    with app.app_context():
        engine = db.engine
    if engine.url.database and engine.url.database != ":memory:" and Path(engine.url.database).exists():
        # an existing database (and the instance folder) that others can read is tightened
        private_folder(Path(app.instance_path), create=False)
        private_file(Path(engine.url.database))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .facilitator.views import bp as facilitator_bp
    from .learner.views import bp as learner_bp
    from .learner import glossary as _glossary  # noqa: F401 - adds /glossary/<lang> to the learner blueprint
    from .lti.views import bp as lti_bp
    from .monitoring.views import bp as monitoring_bp
    from .public.views import bp as public_bp
    from .gain import learner_views as _gain_learner, staff_views as _gain_staff  # noqa: F401 - routes on those blueprints
    from .gain.verify_views import bp as verify_bp

    for blueprint in (public_bp, monitoring_bp, lti_bp, learner_bp, facilitator_bp, admin_bp, verify_bp):
        app.register_blueprint(blueprint)


def register_monitoring(app: Flask, settings: Settings) -> None:
    """Request ids and latency around everything , and the metrics when on."""
    from .monitoring import metrics
    from .monitoring.middleware import RequestIdMiddleware

    if settings.metrics:
        metrics.enable()
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def _endpoint() -> None:
        request.environ["emm.endpoint"] = request.endpoint  # the metrics label: the route, never the path


def register_signals() -> None:
    from .grades.receivers import connect

    connect()


def register_request_hooks(app: Flask) -> None:
    from .security import apply_security_headers

    @app.after_request
    def _commit(response: Response) -> Response:
        # one transaction per request: services only flush; success commits, errors roll back
        if not db.session.registry.has():
            return response  # the request never used the database (a login): no session to create
        session = db.session()
        if not session.in_transaction():
            return response  # nothing was read or written
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response

    app.after_request(apply_security_headers)

    @app.teardown_request
    def _rollback(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def register_error_handlers(app: Flask) -> None:
    from .error_pages import http_error, refusal, render_error
    from .logs import request_label
    from .monitoring import metrics
    from .monitoring.outages import service_down

    def unavailable(service: str, exc: BaseException) -> Any:
        """A service we depend on is down: 503 and a message, the request wrote nothing; it comes back alone."""
        log.warning("503 on %s: the %s is not answering (%s)", request.endpoint or "?", service.replace("_", " "),
                    type(exc).__name__)
        metrics.unavailable(service)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone already; the pool replaces it
            db.session().invalidate()  # the scoped_session proxy has no invalidate(): ask the session
        body, status = render_error(503, _("The tool is briefly unavailable"),
                                    _("Part of the tool is not answering right now; nothing was saved. "
                                      "Please try again in a minute."))
        return body, status, {"Retry-After": "30"}

    app.register_error_handler(EmmError, refusal)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        service = service_down(getattr(exc, "original_exception", None)) if exc.code == 500 else None
        if service:  # the database failed after the view, at the request's commit
            return unavailable(service, exc)
        return http_error(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        service = service_down(exc)
        if service:
            return unavailable(service, exc)
        log.exception("unexpected error on %s", request_label(request.method, request.path))
        return render_error(500, _("Something went wrong on our side"),
                            _("The error was logged. Please try again, or open the activity again from your LMS."))


def register_cli(app: Flask) -> None:
    """`flask --app lti_tool …` offers the feature packages' commands, as `emm-lti` does."""
    from .cli import register_commands

    register_commands(app.cli)
