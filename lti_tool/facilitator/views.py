"""Facilitator routes under /l/<ref>/facilitator/; every one checks the launch's role."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..runtime import runtime

bp = Blueprint("facilitator", __name__, url_prefix="/l/<ref>/facilitator")
scope_to_launch(bp)


@bp.get("/")
@launch_required(Access.FACILITATOR)
def catalogue() -> str:
    """Every module, grouped by section, for a facilitator who launched without a (known) module."""
    return render_template(
        "facilitator/catalogue.html", catalogue=runtime().catalogue, lang=current().locale,
        unknown=request.args.get("unknown", ""),
    )


@bp.get("/deep-link")
@launch_required(Access.FACILITATOR)
def deep_link() -> str:
    """Placeholder replaced by the deep linking picker."""
    return render_template("facilitator/catalogue.html", catalogue=runtime().catalogue, lang=current().locale, unknown="")
