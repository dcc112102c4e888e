"""What may reach a log line: no bearer launch references, invitation codes or tokens, no forged lines.

Launch references travel in URL paths (`/l/<ref>/…`) and registration invitations too
(`/lti/register/<code>`), so any path is redacted before it is logged: by the app's error handlers
(`request_label`), in gunicorn's access log (`server.RedactingGunicornLogger`) and, as a last guard, in every
record our handler writes (`SafeLogFilter`). That filter also escapes control characters (CR, LF, NUL
…) in the message, so a request path or an LMS value cannot start a fake log line.
"""
from __future__ import annotations

import logging
import re
from typing import Any

#: /l/<ref> and /lti/register/<code>: references and codes are URL-safe base64 with dots (and, when
#: forged, anything percent-encoded)
_BEARER_PATH = re.compile(r"(/l/|/lti/register/)[A-Za-z0-9_.=~%+-]+")
#: query parameters that carry credentials (the LMS's registration token)
_BEARER_QUERY = re.compile(r"((?:^|[?&])registration_token=)[^&#\s\"']*")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


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


def log_handler(stream: Any = None) -> logging.Handler:
    """The handler `emm-lti` logs through: one line per record, redacted and escaped."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SafeLogFilter())
    return handler


class SafeLogFilter(logging.Filter):
    """Redacts bearer paths and escapes control characters in each record's message (not in its
    traceback, which stays readable). Installed on the handler `configure_logging` creates."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        safe = escape_controls(redact(message))
        if safe != message or record.args:
            record.msg, record.args = safe, None
        return True
