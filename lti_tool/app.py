"""The application factory: a list of register_* calls, no network, no migrations, no prompts."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, render_template, request
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
    app = Flask(
        __name__,
        template_folder=str(paths.templates_dir()),
        instance_path=str(settings.instance_path),
        instance_relative_config=True,
    )
    app.config.update(settings.flask_config())
    app.session_interface = NoSession()
    register_extensions(app, settings)
    register_blueprints(app)
    register_request_hooks(app)
    register_signals()
    register_error_handlers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask, settings: Settings) -> None:
    from .content.catalogue import load_catalogue
    from flask_babel import get_locale

    from . import models  # noqa: F401 - the whole schema, before anything queries it
    from .i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(paths.migrations_dir()))
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(paths.translations_dir()))
    app.jinja_env.globals["get_locale"] = get_locale
    _configure_sqlite(app)
    catalogue = load_catalogue(settings.modules_path or paths.modules_dir())
    app.extensions["emm"] = build_runtime(settings, catalogue)


def _configure_sqlite(app: Flask) -> None:
    """WAL lets readers and the one writer work at once; foreign keys are off by default in SQLite."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

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
    from .lti.views import bp as lti_bp
    from .public.views import bp as public_bp

    for blueprint in (public_bp, lti_bp, learner_bp, facilitator_bp, admin_bp):
        app.register_blueprint(blueprint)


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
    def render_error(status: int, title: str, message: str) -> tuple[str, int]:
        try:
            return render_template("errors/error.html", status=status, title=title, message=message), status
        except Exception:  # the error page itself failed: still answer without a traceback
            log.exception("cannot render the error page")
            return f"{title}: {message}", status

    @app.errorhandler(EmmError)
    def _emm_error(exc: EmmError) -> tuple[str, int]:
        log.info("refused %s %s: %s %s", request.method, request.path, exc.status, exc.message)
        return render_error(exc.status, exc.title, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(500, _("Something went wrong on our side"),
                            _("The error was logged. Please try again, or open the activity again from your LMS."))


def register_cli(app: Flask) -> None:
    from .cli import register_flask_commands

    register_flask_commands(app)
