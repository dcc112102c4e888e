"""Session mode: the module's pages large for screen sharing, the live panel, the quiz controls."""
from __future__ import annotations

import logging

from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..courses import course_modules as gate
from ..errors import BadRequest, NotFound
from ..lti.current import current, launch_required
from ..lti.roles import Access
from .forms import QuizControlForm
from .session import POLL_SECONDS, live_state
from .views import _course, _module, bp

log = logging.getLogger(__name__)


@bp.get("/session/<module_id>/")
@bp.get("/session/<module_id>/p/<page_id>")
@launch_required(Access.FACILITATOR)
def session(module_id: str, page_id: str | None = None) -> str:
    """One page of the module in large type, with who is active now and the quiz controls beside it.

    Served at .../session/<module>/p/<page>, the shape of a learner's page URL, so the links inside
    the content (to other pages and modules) lead to the same place in session mode.
    """
    module, course = _module(module_id), _course()
    lang = current().locale
    pages, pages_lang = module.pages(lang)
    shown = next((p for p in pages if p.id == page_id), None) if page_id else (pages[0] if pages else None)
    if page_id and shown is None:
        raise NotFound(_("Module %(module)s has no page %(page)s.", module=module.id, page=page_id))
    return render_template(
        "facilitator/session.html", module=module, course=course, lang=lang, pages=pages, pages_lang=pages_lang,
        shown=shown, live=live_state(course.id, module, lang), form=QuizControlForm(),
        poll_seconds=POLL_SECONDS, time_limits=gate.TIME_LIMITS,
    )


@bp.get("/session/<module_id>/live.json")
@launch_required(Access.FACILITATOR)
def session_live(module_id: str) -> Response:
    """What the panel shows, for its script to redraw it every few seconds."""
    module, course = _module(module_id), _course()
    response = jsonify(live_state(course.id, module, current().locale).to_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/m/<module_id>/quiz")
@launch_required(Access.FACILITATOR)
def quiz_control(module_id: str) -> Response:
    """Open or close the quiz for the group, set a time limit, or extend it; then back where it was."""
    module, course = _module(module_id), _course()
    form = QuizControlForm()
    if not form.validate():
        raise BadRequest("; ".join(e for errors in form.errors.values() for e in errors))
    if module.quiz("en") is None:
        raise BadRequest(_("This module has no quiz."))
    action = form.action.data
    if action in ("open", "close"):
        gate.set_quiz_open(course.id, module.id, action == "open")
    elif action == "limit":
        minutes = form.minutes.data or None
        if minutes is not None and minutes not in gate.TIME_LIMITS:
            raise BadRequest(_("Choose a time limit from the list."))
        gate.set_time_limit(course.id, module.id, minutes)
        gate.sync_open_attempts(course.id, module)
    else:
        if form.minutes.data not in (5, 10, 15):
            raise BadRequest(_("Extend the time by 5, 10 or 15 minutes."))
        if gate.quiz_gate(course.id, module.id).time_limit_minutes is None:
            raise BadRequest(_("This quiz has no time limit to extend."))
        gate.extend_time(course.id, module.id, form.minutes.data)
        gate.sync_open_attempts(course.id, module)
    log.info("facilitator launch %s: quiz of %s in course %s: %s %s", current().launch.id, module.id, course.id,
             action, form.minutes.data or "")
    if form.back.data == "class":
        return redirect(url_for("facilitator.module_class", module_id=module.id) + "#quiz", code=303)
    pages = {p.id for p in module.pages(current().locale)[0]}
    page_id = form.page.data if form.page.data in pages else None
    return redirect(url_for("facilitator.session", module_id=module.id, page_id=page_id) + "#quiz", code=303)
