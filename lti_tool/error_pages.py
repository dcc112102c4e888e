"""The error page every refusal and failure is rendered as: one place, so each is logged (redacted),
counted and shown alike, whichever handler (the app's or a blueprint's) meets it."""
from __future__ import annotations

import logging
import re

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .errors import EmmError
from .logs import request_label
from .monitoring import metrics

log = logging.getLogger(__name__)


def render_error(status: int, title: str, message: str) -> tuple[str, int]:
    """The error page; if even that fails, a plain line (never a traceback)."""
    try:
        return render_template("errors/error.html", status=status, title=title, message=message), status
    except Exception:  # the error page itself failed: still answer without a traceback
        log.exception("cannot render the error page")
        return f"{title}: {message}", status


#: Werkzeug's own texts are English only; the statuses anyone meets by a mistyped or stale address
#: get a title and a message in the user's language (a specific description is kept as it is)
_PLAIN_HTTP = {
    404: (_l("Page not found"),
          _l("This address does not lead to a page of the tool. Open the activity again from your LMS.")),
    405: (_l("This page cannot be used that way"),
          _l("Open the activity again from your LMS, and use the buttons on its pages.")),
}


def http_error(exc: HTTPException) -> tuple[str, int]:
    """A Werkzeug HTTP error as the tool's error page, in the user's language where it is a plain one."""
    status = exc.code or 500
    plain = _PLAIN_HTTP.get(status)
    if plain is not None and exc.description == type(exc).description:
        return render_error(status, str(plain[0]), str(plain[1]))
    return render_error(status, exc.name, exc.description or exc.name)


def refusal(exc: EmmError) -> tuple[str, int]:
    """A request refused with a 4xx: logged without its launch reference, counted by reason, shown."""
    # the path without its launch reference or invitation code, control characters escaped
    log.info("refused %s: %s %s", request_label(request.method, request.path), exc.status, exc.message)
    metrics.refused(getattr(exc, "reason", None) or _reason_of(exc))
    return render_error(exc.status, exc.title, exc.message)


def _reason_of(exc: EmmError) -> str:
    """A metrics label for a refusal: launch_error, launch_expired, forbidden, not_found …"""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
