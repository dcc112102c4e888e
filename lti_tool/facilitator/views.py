"""Facilitator routes under /l/<ref>/facilitator/; every one checks the launch's role.

Views parse the query, check access, call the builders in this package and render; the rules
live in `dashboard`, `status`, `questions`, `session` and `tables`.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..content import Module
from ..countries import InvalidCountry, normalize_country
from ..courses.course_modules import TIME_LIMITS, quiz_gate
from ..courses.models import Course
from ..courses.roster import Roster, course_roster
from ..errors import BadRequest, NotFound
from ..extensions import db
from ..grades.models import DeliveryStatus, GradeDelivery
from ..grades.services import latest_deliveries, resend
from ..progress.services import grants_of
from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..runtime import runtime
from .dashboard import NOT_GIVEN, NOT_KNOWN, build_dashboard, course_modules, score_bands, status_counts
from .forms import GrantForm, QuizControlForm, ResendForm
from .questions import question_report
from .status import STATUS_LABELS, Status, short_words, words

log = logging.getLogger(__name__)

bp = Blueprint("facilitator", __name__, url_prefix="/l/<ref>/facilitator")
scope_to_launch(bp)


@bp.app_template_global()
def status_words(cell: Any) -> str:
    return words(cell)


@bp.app_template_global()
def status_short(cell: Any) -> str:
    return short_words(cell)


@bp.app_template_global()
def grid_cell(cell: Any) -> Markup:
    """One cell of the course grid; built here, not in a macro: a page has 500 of them."""
    mark = ' <b class="tag-grade">!</b>' if cell.delivery and cell.delivery.status != "delivered" else ""
    return Markup(f'<td class="st-{cell.status}">{escape(short_words(cell))}{mark}</td>')


@bp.app_template_global()
def gate_words(gate: Any) -> str:
    from .session import gate_text

    return gate_text(gate)


@bp.get("/")
@launch_required(Access.FACILITATOR)
def dashboard() -> str:
    """The course overview: every module and learner, by country and by module, with charts."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course), with_times=False)
    country, agency = _country_filter(request.args.get("country")), _agency_filter(request.args.get("agency"))
    rows, pages, page = board.page(board.filtered(country, agency), request.args.get("page", 1, type=int))
    return render_template(
        "facilitator/dashboard.html", board=board, rows=rows, pages=pages, page=page, country=country,
        agency=agency, lang=current().locale, resend_form=ResendForm(), grant_form=GrantForm(),
        granted=request.args.get("granted"), resent=request.args.get("resent", type=int), course=course,
    )


@bp.get("/m/<module_id>/")
@launch_required(Access.FACILITATOR)
def module_class(module_id: str) -> str:
    """One module's class: every learner of the roster and everyone who launched, with status in words."""
    module, course = _module(module_id), _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course), modules=[module])
    country, agency = _country_filter(request.args.get("country")), _agency_filter(request.args.get("agency"))
    status = _status_filter(request.args.get("status"))
    rows, pages, page = board.page(board.filtered(country, agency, status), request.args.get("page", 1, type=int))
    cells = [r.cells[0] for r in board.rows]
    return render_template(
        "facilitator/module.html", board=board, module=module, rows=rows, pages=pages, page=page,
        country=country, agency=agency,
        status=status, lang=current().locale, course=course, counts=status_counts(cells),
        bands=score_bands(cells, module.pass_mark), status_labels=STATUS_LABELS,
        placed=module in course_modules(course, runtime().catalogue), gate=quiz_gate(course.id, module.id),
        quiz_form=QuizControlForm(), time_limits=TIME_LIMITS, grant_form=GrantForm(),
        granted=request.args.get("granted") is not None,
    )


@bp.get("/learner/<int:participant_id>")
@launch_required(Access.FACILITATOR)
def learner(participant_id: int) -> str:
    """One learner of this course: every module in words, grade delivery, and their attempts."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, Roster([]), participant_id=participant_id, with_details=True)
    if not board.rows:
        raise NotFound(_("There is no such learner in this course."))
    from .attempts import attempts_of

    row = board.rows[0]
    return render_template("facilitator/learner.html", row=row, cells=list(zip(board.modules, row.cells)),
                           lang=current().locale, resend_form=ResendForm(), grant_form=GrantForm(), course=course,
                           attempts=attempts_of(course.id, participant_id), grants=grants_of(course.id, participant_id),
                           granted=request.args.get("granted", type=int), resent=request.args.get("resent", type=int))


@bp.get("/learner/<int:participant_id>/attempts/<int:attempt_id>")
@launch_required(Access.FACILITATOR)
def learner_attempt(participant_id: int, attempt_id: int) -> str:
    """One learner's submitted attempt with their answers, as their own result page shows them."""
    from .attempts import find_learner_attempt

    course = _course()
    found = find_learner_attempt(course.id, participant_id, attempt_id)
    module = _module(found.module_id)
    from ..learner.services import review, shown_percent

    lang = current().locale
    return render_template("facilitator/attempt.html", found=found, module=module, lang=lang, course=course,
                           percent=shown_percent(found.attempt.percent, found.attempt.pass_mark),
                           review=review(module, found.attempt, lang))


@bp.get("/questions/<module_id>")
@launch_required(Access.FACILITATOR)
def questions(module_id: str) -> str:
    """Which quiz questions the course's learners miss, by country, and the wrong answers they chose."""
    module, course = _module(module_id), _course()
    lang = current().locale
    return render_template("facilitator/questions.html", module=module, lang=lang, course=course,
                           report=question_report(course, module, lang))


@bp.post("/grades/resend")
@launch_required(Access.FACILITATOR)
def resend_grades() -> Response:
    """Queue scores of this course again; the worker delivers them within seconds. A score sent
    again from a learner's page goes back to that learner's page."""
    form = ResendForm()
    if not form.validate():
        raise BadRequest("; ".join(e for errors in form.errors.values() for e in errors))
    course = _course()
    if form.scope.data == "one":
        delivery = db.session.get(GradeDelivery, form.delivery_id.data or 0)
        if delivery is None or delivery.course_id != course.id:
            raise NotFound(_("There is no such grade delivery in this course."))
        rows = [delivery]
    else:
        rows = latest_deliveries(course.id, status=DeliveryStatus.FAILED if form.scope.data == "failed" else None)
    count = resend(rows)
    log.info("facilitator launch %s re-queued %d scores in course %s", current().launch.id, count, course.id)
    if form.scope.data == "one":
        return redirect(url_for("facilitator.learner", participant_id=rows[0].participant_id, resent=count), code=303)
    return redirect(url_for("facilitator.dashboard", resent=count), code=303)


@bp.post("/learner/<int:participant_id>/attempts")
@launch_required(Access.FACILITATOR)
def grant_attempts(participant_id: int) -> Response:
    """Give a learner of this course one more quiz attempt, or reset their attempts, with a reason."""
    from .attempts import grant_in_course

    form = GrantForm()
    if not form.validate():
        raise BadRequest("; ".join(e for errors in form.errors.values() for e in errors))
    grant = grant_in_course(_course(), participant_id, form.module.data, kind=form.kind.data,
                            reason=form.reason.data or "", facilitator=current().launch.participant,
                            catalogue=runtime().catalogue)
    if form.back.data == "dashboard":
        return redirect(url_for("facilitator.dashboard", granted=form.module.data), code=303)
    if form.back.data == "class":
        return redirect(url_for("facilitator.module_class", module_id=form.module.data, granted=1), code=303)
    return redirect(url_for("facilitator.learner", participant_id=participant_id, granted=grant.id) + "#attempts",
                    code=303)


@bp.get("/modules")
@launch_required(Access.FACILITATOR)
def catalogue() -> str:
    """Every module, grouped by section, for a facilitator who launched without a (known) module."""
    from .deep_link_views import picker_sections

    course = current().launch.course
    return render_template(
        "facilitator/catalogue.html", sections=picker_sections(runtime().catalogue, current().locale, course),
        lang=current().locale, unknown=request.args.get("unknown", ""),
    )


# -- helpers --------------------------------------------------------------------------------------

def _course() -> Course:
    course = current().launch.course
    if course is None:
        raise NotFound(_("This launch has no course."))
    return course


def _module(module_id: str) -> Module:
    module = runtime().catalogue.get(module_id)
    if module is None:
        raise NotFound(_("There is no module %(id)s in this curriculum.", id=module_id))
    return module


def _country_filter(raw: str | None) -> str | None:
    """None (everyone), "" (country not given), "?" (not known yet) or an ISO code; 400 for anything else."""
    if raw is None or raw in (NOT_GIVEN, NOT_KNOWN):
        return raw
    try:
        return normalize_country(raw)
    except InvalidCountry:
        raise BadRequest(_("The country filter %(value)s is not a country code (two letters, e.g. GD).",
                           value=repr(raw[:20]))) from None


def _agency_filter(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if len(raw) > 255 or any(ord(ch) < 32 for ch in raw):
        raise BadRequest(_("The agency filter is not an agency name."))
    return raw


def _status_filter(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in Status.__members__.values():
        raise BadRequest(_("The status filter %(value)s is not one of the statuses shown on this page.",
                           value=repr(raw[:20])))
    return raw


from . import deep_link_views, export_views, session_views  # noqa: E402,F401 - routes on this blueprint
