"""Facilitator routes under /l/<ref>/facilitator/; every one checks the launch's role."""
from __future__ import annotations

import logging

from flask import Blueprint, render_template, request, url_for

from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..runtime import runtime
from .deep_linking import accepts_multiple, build_reply, settings_of
from .forms import DeepLinkForm

log = logging.getLogger(__name__)

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


@bp.route("/deep-link", methods=["GET", "POST"])
@launch_required(Access.FACILITATOR)
def deep_link() -> str | tuple[str, int]:
    """Choose modules to add to the course; the answer goes back to the LMS as a signed JWT."""
    launch = current()
    catalogue = runtime().catalogue
    settings = settings_of(launch.launch)
    form = DeepLinkForm(catalogue, launch.locale)
    if request.method == "POST":
        if not form.validate():
            return render_template("facilitator/deep_link.html", form=form, multiple=accepts_multiple(settings)), 400
        modules = [catalogue.get(module_id) for module_id in form.modules.data]
        reply = build_reply(
            launch.launch, modules, launch_url=url_for("lti.launch", _external=True), lang=launch.locale,
            country=form.country.data or None, graded=form.graded.data,
        )
        log.info("deep linking: launch %s placed %s", launch.launch.id, form.modules.data)
        return render_template("facilitator/deep_link_return.html", reply=reply)
    return render_template("facilitator/deep_link.html", form=form, multiple=accepts_multiple(settings))
