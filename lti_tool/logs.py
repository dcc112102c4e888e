"""Logging, configured in one place for every entry point: `emm-lti` commands (serve, worker and the
rest), and gunicorn started with `config/gunicorn.conf.py`.

`EMM_LOG_FORMAT=json` writes one JSON object a line (time, level, logger, message, request_id) for a
log collector; `text` (the default) is for people. Modules only ever get a named logger.
"""
from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

#: the id of the request being served by this thread (None outside requests)
REQUEST_ID: ContextVar[str | None] = ContextVar("emm_request_id", default=None)

#: an X-Request-ID from the proxy is kept when it looks like an id (nginx's $request_id is 32 hex digits)
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
#: a launch reference in a path is a bearer credential: never written to a log
_REF_IN_PATH = re.compile(r"/l/[^/?#\s\"]+")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def request_id_from(header: str | None) -> str:
    """The proxy's X-Request-ID when it is sane, else a new one."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def redact_path(text: str) -> str:
    """`/l/<launch reference>/…` becomes `/l/<ref>/…` (in a path, a request line or a Referer): logs must
    not carry the reference, which opens the learner's or facilitator's pages."""
    return _REF_IN_PATH.sub("/l/<ref>", text)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             datefmt="%Y-%m-%dT%H:%M:%S%z")
    return logging.Formatter(TEXT_FORMAT)


class _StderrHandler(logging.StreamHandler):
    """Writes to the process's standard error as it is when a record is written (not to a stream
    captured when logging was configured, e.g. by a test runner)."""

    def __init__(self) -> None:
        super().__init__(sys.__stderr__)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.__stderr__

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter(log_format))
    return handler


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Route every logger to one handler on standard error, in the chosen format (idempotent)."""
    root = logging.getLogger()
    # ours from an earlier call, and basicConfig's; a test runner's capture handlers stay
    root.handlers[:] = [h for h in root.handlers if type(h) not in (_StderrHandler, logging.StreamHandler)]
    root.addHandler(make_handler(log_format))
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # gunicorn's own loggers go through ours too (GunicornLogger), not twice
    for name in ("gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).propagate = False


try:  # gunicorn is a dependency, but the CLI should not need it imported just to log
    from gunicorn.glogging import Logger as _GunicornBase
except ImportError:  # pragma: no cover
    _GunicornBase = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornBase):  # type: ignore[misc,valid-type]
    """gunicorn's error and access logs in our format, with launch references taken out of paths."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from .config import log_options

        _level, log_format = log_options()
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(make_formatter(log_format))
                handler.addFilter(RequestIdFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "/l/" in value:
                atoms[key] = redact_path(value)
        return atoms

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        token = REQUEST_ID.set(environ.get("emm.request_id"))
        try:
            super().access(resp, req, environ, request_time)
        finally:
            REQUEST_ID.reset(token)

