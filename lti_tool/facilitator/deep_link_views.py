"""Deep Linking: choose modules to add to the course, grouped by section, with what is ready.

A module that is not ready (an outline still being written) is shown greyed with the reason and
cannot be placed: the POST refuses it with a 400 on the same form. Choosing nothing says so on
the same form. Modules already in the course are marked, so they are not added twice by mistake.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import g, render_template, request, url_for
from flask_babel import gettext as _

from ..courses.placements import record_deep_link
from ..grades.receivers import column_appeared
from ..courses.models import Course
from ..errors import BadRequest
from ..learner.services import SECTION_LABELS
from ..lti.current import current, launch_required
from ..lti.roles import Access
from ..runtime import runtime
from .dashboard import course_modules
from .deep_linking import accepts_multiple, build_reply, settings_of
from .forms import DeepLinkForm
from .views import bp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PickerModule:
    module: Any
    title: Any
    summary: Any
    ready: bool
    #: why it cannot be placed, when it is not ready
    reason: str | None
    placed: bool


def not_ready_reason(module: Any) -> str | None:
    """Why a module cannot be placed in a course yet, or None when it can."""
    if not module.is_complete or not module.pages("en")[0]:
        return _("Not ready: still being written (an outline without pages or quiz).")
    return None


def picker_sections(catalogue: Any, lang: str, course: Course | None) -> list[tuple[Any, list[PickerModule]]]:
    """Every module by section, with its readiness and whether the course already has it."""
    placed = {m.id for m in course_modules(course, catalogue)} if course is not None else set()
    sections: dict[Any, list[PickerModule]] = {}
    for module in catalogue.modules:
        reason = not_ready_reason(module)
        sections.setdefault(module.section, []).append(PickerModule(
            module, module.title(lang), module.summary(lang), reason is None, reason, module.id in placed))
    return [(SECTION_LABELS[section], items) for section, items in sections.items()]


@bp.route("/deep-link", methods=["GET", "POST"])
@launch_required(Access.FACILITATOR)
def deep_link() -> str | tuple[str, int]:
    """Choose modules to add to the course; the answer goes back to the LMS as a signed JWT."""
    launch = current()
    catalogue = runtime().catalogue
    settings = settings_of(launch.launch)
    form = DeepLinkForm(catalogue, launch.locale)
    sections = picker_sections(catalogue, launch.locale, launch.launch.course)

    def again(*problems: str) -> tuple[str, int]:
        return render_template("facilitator/deep_link.html", form=form, sections=sections, problems=list(problems),
                               chosen=set(request.form.getlist("modules")), multiple=accepts_multiple(settings)), 400

    if request.method == "GET":
        return render_template("facilitator/deep_link.html", form=form, sections=sections, problems=[],
                               chosen=set(), multiple=accepts_multiple(settings))
    if not form.validate():
        return again(*(e for errors in form.errors.values() for e in errors))
    modules = [catalogue.get(module_id) for module_id in form.modules.data]
    if not modules:
        return again(_("Choose at least one module to add."))
    if len(modules) > 1 and not accepts_multiple(settings):
        return again(_("Your LMS accepts one module at a time here: choose a single module."))
    refused = [m for m in modules if not_ready_reason(m)]
    if refused:
        return again(*(_("%(title)s cannot be added: %(reason)s", title=m.title(launch.locale).text,
                         reason=not_ready_reason(m)) for m in refused))
    reply = build_reply(
        launch.launch, modules, launch_url=url_for("lti.launch", _external=True), lang=launch.locale,
        country=form.country.data or None, graded=form.graded.data,
    )
    g.emm_form_origin = _return_origin(reply.return_url)
    if launch.launch.course_id is not None:
        for placement in record_deep_link(launch.launch.course_id, modules, country=form.country.data or None,
                                          lang="en"):
            column_appeared(placement, catalogue)   # scores that waited for this module's column
    log.info("deep linking: launch %s placed %s", launch.launch.id, form.modules.data)
    return render_template("facilitator/deep_link_return.html", reply=reply)


def _return_origin(url: str) -> str:
    """The deep linking return URL's origin, once it is known to be the platform's (https, or http on
    loopback, on one of its hosts); the answer carries a signed JWT, so it goes nowhere else."""
    from ..lms.errors import ForbiddenUrl
    from ..lms.hosts import HostPolicy
    from ..lti.login import origin_of

    try:
        HostPolicy.for_platform(current().launch.platform).check(url, "the deep linking answer")
    except ForbiddenUrl as exc:
        log.warning("deep linking: launch %s: refused return URL: %s", current().launch.id, exc.reason)
        raise BadRequest(_("The LMS asked for the chosen modules at an address that is not its own, so "
                           "they were not sent. Ask the LMS administrator to check the tool's registration.")) from None
    return origin_of(url)
