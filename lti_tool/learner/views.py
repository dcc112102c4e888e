"""Learner routes, all under /l/<ref>/ (the signed launch reference)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..errors import NotFound
from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..runtime import runtime

bp = Blueprint("learner", __name__, url_prefix="/l/<ref>")
scope_to_launch(bp)


@bp.get("/")
@launch_required()
def home() -> Response | tuple[str, int]:
    """Send each launch where it belongs: deep linking, its module, or the catalogue."""
    launch = current()
    if launch.is_deep_link:
        return redirect(url_for("facilitator.deep_link"))
    placement = launch.launch.placement
    module_id = placement.module_id if placement else None
    module = runtime().catalogue.get(module_id) if module_id else None
    if module is not None:
        return redirect(url_for("learner.module", module_id=module.id))
    if launch.access >= Access.FACILITATOR:
        return redirect(url_for("facilitator.catalogue", unknown=module_id or ""))
    return render_template("learner/no_module.html", module_id=module_id), 404


@bp.get("/m/<module_id>/")
@launch_required()
def module(module_id: str) -> str:
    """The module's landing page."""
    found = runtime().catalogue.get(module_id)
    if found is None:
        raise NotFound(f"There is no module {module_id!r} in this curriculum.")
    return render_template("learner/module.html", module=found, lang=current().locale)
