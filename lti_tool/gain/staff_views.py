"""Knowledge gain for staff: the facilitator's page and exports for their course (on the
facilitator blueprint), the admin's across the LMS's courses (on the admin blueprint)."""
from __future__ import annotations

from flask import Response, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..admin.views import bp as admin_bp
from ..courses.models import Course
from ..errors import BadRequest, NotFound
from ..exports import CSV_TYPE, XLSX_TYPE, csv_bytes, download_headers, file_name, xlsx_bytes
from ..extensions import db
from ..facilitator.views import _course, bp as facilitator_bp
from ..lti.current import current, launch_required
from ..lti.roles import Access
from ..models_base import utcnow
from ..runtime import runtime
from . import checks
from .figures import gain_report
from .forms import CourseOptionsForm
from .tables import WHAT, objective_label, tables


def objective_text(module_id: str, number: int) -> str:
    """`m01 · 2. Distinguish migrant stocks from …` in the reader's language."""
    return objective_label(runtime().catalogue, module_id, number, current().locale)


def _titles() -> dict[str, str]:
    return {"objectives": _("By objective"), "countries": _("By country"), "agencies": _("By agency"),
            "people": _("Learners")}


def _download(course_ids: list[int], label: str, what: str, fmt: str) -> Response:
    if what not in WHAT or fmt not in ("csv", "xlsx"):
        raise NotFound(_("Exports come as .csv or .xlsx."))
    found = tables(gain_report(course_ids), objective_text, _titles())
    name = file_name(label, f"gain-{what}", utcnow().date(), fmt)
    if fmt == "csv":
        return Response(csv_bytes(found[what]), mimetype=CSV_TYPE, headers=download_headers(name))
    ordered = [found[what]] + [t for key, t in found.items() if key != what]
    return Response(xlsx_bytes(ordered), mimetype=XLSX_TYPE, headers=download_headers(name))


@facilitator_bp.get("/gain")
@launch_required(Access.FACILITATOR)
def gain() -> str:
    """Knowledge before and after, by country and objective, and the course's choices about them."""
    course = _course()
    chosen = checks.options(course.id)
    form = CourseOptionsForm(formdata=None, knowledge_checks=chosen.knowledge_checks,
                             certificate_scope=chosen.certificate_scope)
    return render_template("facilitator/gain.html", report=gain_report([course.id]), course=course, form=form,
                           objective_text=objective_text, lang=current().locale, admin=False,
                           checked=checks.checked_modules(course, runtime().catalogue),
                           download=lambda what, fmt: url_for("facilitator.gain_download", what=what, fmt=fmt))


@facilitator_bp.post("/gain/options")
@launch_required(Access.FACILITATOR)
def gain_options() -> Response:
    form = CourseOptionsForm()
    if not form.validate():
        raise BadRequest(_("This form has expired or was not sent from its page. Open the page again."))
    checks.set_options(_course().id, knowledge_checks=bool(form.knowledge_checks.data),
                       certificate_scope=form.certificate_scope.data)
    return redirect(url_for("facilitator.gain", saved=1), code=303)


@facilitator_bp.get("/gain/<what>.<fmt>")
@launch_required(Access.FACILITATOR)
def gain_download(what: str, fmt: str) -> Response:
    course = _course()
    return _download([course.id], course.label or course.context_id or str(course.id), what, fmt)


def _platform_courses() -> list[int]:
    return list(db.session.scalars(select(Course.id).where(Course.platform_id == current().launch.platform_id)))


@admin_bp.get("/gain")
@launch_required(Access.ADMIN)
def admin_gain() -> str:
    """The same figures across every course of this LMS."""
    return render_template("facilitator/gain.html", report=gain_report(_platform_courses()), course=None,
                           form=None, objective_text=objective_text, lang=current().locale, admin=True,
                           checked=[],
                           download=lambda what, fmt: url_for("admin.admin_gain_download", what=what, fmt=fmt))


@admin_bp.get("/gain/<what>.<fmt>")
@launch_required(Access.ADMIN)
def admin_gain_download(what: str, fmt: str) -> Response:
    return _download(_platform_courses(), current().launch.platform.name or "platform", what, fmt)
