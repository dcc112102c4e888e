"""The error page every refusal and failure is rendered as: one place, so each is logged (redacted),
counted and shown alike, whichever handler (the app's or a blueprint's) meets it."""
from __future__ import annotations

import logging
import re

from flask import render_template, request

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


def refusal(exc: EmmError) -> tuple[str, int]:
    """A request refused with a 4xx: logged without its launch reference, counted by reason, shown."""
    # the path without its launch reference or invitation code, control characters escaped
    log.info("refused %s: %s %s", request_label(request.method, request.path), exc.status, exc.message)
    metrics.refused(getattr(exc, "reason", None) or _reason_of(exc))
    return render_error(exc.status, exc.title, exc.message)


def _reason_of(exc: EmmError) -> str:
    """A metrics label for a refusal: launch_error, launch_expired, forbidden, not_found …"""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
