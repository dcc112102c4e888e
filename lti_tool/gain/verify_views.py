"""/verify/<code>: anyone (a ministry, an employer) confirms a certificate; no launch needed.

It shows only what the certificate is about: the name on it and its modules. Nothing else about
the person (no country, email, dates or scores) and nothing about the course.
"""
from __future__ import annotations

import logging

from flask import Blueprint, render_template
from flask_babel import get_locale, gettext as _

from ..errors import NotFound
from ..runtime import runtime
from .certificates import shown_code, verify

log = logging.getLogger(__name__)

bp = Blueprint("verify", __name__, url_prefix="/verify")


@bp.after_request
def _not_indexed(response):  # type: ignore[no-untyped-def]
    """Codes travel in URLs: keep them out of search engines and referrers."""
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<code>")
def certificate(code: str) -> str:
    found = verify(code)
    if found is None:
        log.info("certificate verification: no certificate has the code given")
        raise NotFound(_("No certificate has this code. Check that it was typed exactly as printed "
                         "(letters A to Z and digits 2 to 7)."))
    catalogue = runtime().catalogue
    return render_template("public/verify.html", name=found.name, code=shown_code(found.code),
                           modules=[catalogue.get(m) for m in found.modules if catalogue.get(m)],
                           lang=get_locale().language)
