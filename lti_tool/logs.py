"""Logging, configured in one place for every entry point, and what may reach a log line.

Every `emm-lti` command (serve, worker and the rest) and gunicorn started with
`config/gunicorn.conf.py` log through `configure_logging`: one handler on standard error, text for
people or, with `EMM_LOG_FORMAT=json`, one JSON object a line (time, level, logger, message,
request_id) for a log collector. Modules only ever get a named logger.

No log line carries a bearer credential or can be forged. Launch references travel in URL paths
(`/l/<ref>/…`) and registration invitations too (`/lti/register/<code>`), so paths are redacted
before they are logged: by the app's error handlers (`request_label`), in gunicorn's access log
(`GunicornLogger`) and, as a last guard, in every record our handler writes (`SafeLogFilter`),
which also escapes control characters (CR, LF, NUL …) so a request path or an LMS value cannot
start a fake log line.
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
#: /l/<ref> and /lti/register/<code>: references and codes are URL-safe base64 with dots (and, when
#: forged, anything percent-encoded)
_BEARER_PATH = re.compile(r"(/l/|/lti/register/)[A-Za-z0-9_.=~%+-]+")
#: query parameters that carry credentials (the LMS's registration token)
_BEARER_QUERY = re.compile(r"((?:^|[?&])registration_token=)[^&#\s\"']*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def redact(text: str) -> str:
    """The text with launch references, invitation codes and registration tokens replaced."""
    if "/l/" not in text and "/lti/register/" not in text and "registration_token" not in text:
        return text
    text = _BEARER_PATH.sub(lambda m: m.group(1) + ("<ref>" if m.group(1) == "/l/" else "<code>"), text)
    return _BEARER_QUERY.sub(r"\1<token>", text)


def escape_controls(text: str) -> str:
    """CR, LF, NUL and the other control characters as visible escapes (`\\n`, `\\x00`)."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def request_label(method: str, path: str) -> str:
    """`GET /l/<ref>/admin/`: a request as a log line may show it."""
    return escape_controls(f"{method} {redact(path)}")


def request_id_from(header: str | None) -> str:
    """The proxy's X-Request-ID when it is sane, else a new one."""
    if header and _SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class SafeLogFilter(logging.Filter):
    """Redacts bearer paths and escapes control characters in each record's message (not in its
    traceback, which stays readable)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        safe = escape_controls(redact(message))
        if safe != message or record.args:
            record.msg, record.args = safe, None
        return True


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


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
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


def _with_filters(handler: logging.Handler, log_format: str) -> logging.Handler:
    handler.addFilter(RequestIdFilter())
    handler.addFilter(SafeLogFilter())
    handler.setFormatter(make_formatter(log_format))
    return handler


def make_handler(log_format: str) -> logging.Handler:
    """The handler every command logs through: standard error, redacted and escaped."""
    return _with_filters(_StderrHandler(), log_format)


def log_handler(stream: Any, log_format: str = "text") -> logging.Handler:
    """The same handler writing to `stream` (tests read what would reach a log file)."""
    return _with_filters(logging.StreamHandler(stream), log_format)


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
    """gunicorn's error and access logs in our format, with launch references, invitation codes and
    control characters taken out of request lines, paths, query strings and Referer headers."""

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
        for key, value in list(atoms.items()):
            if isinstance(value, str):
                atoms[key] = escape_controls(redact(value))
        return atoms

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        token = REQUEST_ID.set(environ.get("emm.request_id"))
        try:
            super().access(resp, req, environ, request_time)
        finally:
            REQUEST_ID.reset(token)
