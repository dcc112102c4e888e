"""Facilitator routes under /l/<ref>/facilitator/; every one checks the launch's role."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..runtime import runtime
from ..countries import InvalidCountry, country_name, normalize_country
from ..courses.models import Course
from ..courses.placements import record_deep_link
from ..courses.roster import Roster, course_roster
from ..errors import BadRequest, NotFound
from ..extensions import db
from ..grades.models import DeliveryStatus, GradeDelivery
from ..grades.receivers import column_appeared
from ..grades.services import latest_deliveries, resend
from ..progress.services import grants_of
from .dashboard import build_dashboard, dashboard_csv, question_stats
from .deep_linking import accepts_multiple, build_reply, settings_of
from .attempts import grant_in_course
from .forms import DeepLinkForm, GrantForm, ResendForm

log = logging.getLogger(__name__)

bp = Blueprint("facilitator", __name__, url_prefix="/l/<ref>/facilitator")
scope_to_launch(bp)


@bp.get("/")
@launch_required(Access.FACILITATOR)
def dashboard() -> str:
    """Who started, finished and passed in this course, by person and by country, and grade delivery."""
    launch = current()
    course = _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course))
    refresh = request.args.get("refresh", type=int)
    country = _country_filter(request.args.get("country"))
    rows, pages = board.page(request.args.get("page", 1, type=int), country=country)
    return render_template(
        "facilitator/dashboard.html", board=board, rows=rows, pages=pages,
        page=min(max(1, request.args.get("page", 1, type=int)), pages), country=country, lang=launch.locale,
        resend_form=ResendForm(), grant_form=GrantForm(), granted=request.args.get("granted"),
        refresh=refresh if refresh in (15, 30, 60) else None,
        resent=request.args.get("resent", type=int), country_name=country_name,
    )


@bp.get("/learner/<int:participant_id>")
@launch_required(Access.FACILITATOR)
def learner(participant_id: int) -> str:
    """One learner of this course: progress per module and grade delivery, with resend buttons."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, Roster([]), details_for=participant_id)
    row = next((r for r in board.rows if r.participant_id == participant_id), None)
    if row is None:
        raise NotFound("There is no such learner in this course.")
    return render_template("facilitator/learner.html", row=row, cells=list(zip(board.modules, row.cells)),
                           lang=current().locale, resend_form=ResendForm(), grant_form=GrantForm(),
                           grants=grants_of(course.id, participant_id), granted=request.args.get("granted", type=int),
                           country_name=country_name)


@bp.get("/export.csv")
@launch_required(Access.FACILITATOR)
def export_csv() -> Response:
    """The dashboard as CSV, one line per learner and module."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course))
    response = Response(dashboard_csv(board), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="emm2-course-{course.id}.csv"'
    return response


@bp.get("/questions/<module_id>")
@launch_required(Access.FACILITATOR)
def questions(module_id: str) -> str:
    """Which quiz questions people in this course miss most."""
    module = runtime().catalogue.get(module_id)
    if module is None:
        raise NotFound(f"There is no module {module_id!r} in this curriculum.")
    return render_template("facilitator/questions.html", module=module, lang=current().locale,
                           stats=question_stats(_course(), module, current().locale))


@bp.post("/grades/resend")
@launch_required(Access.FACILITATOR)
def resend_grades() -> Response:
    """Queue scores of this course again; the worker delivers them within seconds."""
    form = ResendForm()
    if not form.validate():
        raise BadRequest("; ".join(e for errors in form.errors.values() for e in errors))
    course = _course()
    if form.scope.data == "one":
        delivery = db.session.get(GradeDelivery, form.delivery_id.data or 0)
        if delivery is None or delivery.course_id != course.id:
            raise NotFound("There is no such grade delivery in this course.")
        rows = [delivery]
    else:
        rows = latest_deliveries(course.id, status=DeliveryStatus.FAILED if form.scope.data == "failed" else None)
    count = resend(rows)
    log.info("facilitator launch %s re-queued %d scores in course %s", current().launch.id, count, course.id)
    return redirect(url_for("facilitator.dashboard", resent=count), code=303)


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


def _country_filter(raw: str | None) -> str | None:
    """None (every learner), "" (learners without a country) or an ISO code; 400 for anything else."""
    if raw is None or raw == "":
        return raw
    try:
        return normalize_country(raw)
    except InvalidCountry:
        raise BadRequest(_("The country filter %(value)s is not a country code (two letters, e.g. GD).",
                           value=repr(raw[:20]))) from None


@bp.post("/learner/<int:participant_id>/attempts")
@launch_required(Access.FACILITATOR)
def grant_attempts(participant_id: int) -> Response:
    """Give a learner of this course one more quiz attempt, or reset their attempts, with a reason."""
    form = GrantForm()
    if not form.validate():
        raise BadRequest("; ".join(e for errors in form.errors.values() for e in errors))
    grant = grant_in_course(_course(), participant_id, form.module.data, kind=form.kind.data,
                            reason=form.reason.data or "", facilitator=current().launch.participant,
                            catalogue=runtime().catalogue)
    if form.back.data == "dashboard":
        return redirect(url_for("facilitator.dashboard", granted=form.module.data), code=303)
    return redirect(url_for("facilitator.learner", participant_id=participant_id, granted=grant.id) + "#attempts",
                    code=303)


def _course() -> Course:
    course = current().launch.course
    if course is None:
        raise NotFound("This launch has no course.")
    return course


@bp.get("/modules")
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
        for placement in record_deep_link(_course().id, modules, country=form.country.data or None, lang="en"):
            column_appeared(placement, catalogue)
        log.info("deep linking: launch %s placed %s", launch.launch.id, form.modules.data)
        g.emm_form_origin = _return_origin(reply.return_url)
        return render_template("facilitator/deep_link_return.html", reply=reply)
    return render_template("facilitator/deep_link.html", form=form, multiple=accepts_multiple(settings))
