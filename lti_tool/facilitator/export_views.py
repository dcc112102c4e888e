"""Exports a programme officer can use: CSV (UTF-8 with BOM) and XLSX of the class, the questions
and the countries, named after the course label and the date."""
from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

from ..courses.roster import course_roster
from ..errors import NotFound
from ..exports import CSV_TYPE, XLSX_TYPE, Table, csv_bytes, download_headers, file_name, xlsx_bytes
from ..lti.current import current, launch_required
from ..lti.roles import Access
from ..models_base import utcnow
from ..runtime import runtime
from .dashboard import build_dashboard
from .questions import question_report
from .tables import class_table, country_table, questions_table
from .views import _course, _module, bp

FORMATS = ("csv", "xlsx")


def _send(tables: list[Table], what: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(_("Exports come as .csv or .xlsx."))
    course = _course()
    name = file_name(course.label or course.context_id or str(course.id), what, utcnow().date(), fmt)
    if fmt == "csv":
        return Response(csv_bytes(tables[0]), mimetype=CSV_TYPE, headers=download_headers(name))
    return Response(xlsx_bytes(tables), mimetype=XLSX_TYPE, headers=download_headers(name))


@bp.get("/export.<fmt>")
@launch_required(Access.FACILITATOR)
def export_course(fmt: str) -> Response:
    """The course: one line per learner and module (XLSX adds a sheet by country)."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course))
    lang = current().locale
    tables = [class_table(board, lang, _("Learners")), country_table(board.by_country, _("By country"))]
    return _send(tables, "class", fmt)


@bp.get("/countries.<fmt>")
@launch_required(Access.FACILITATOR)
def export_countries(fmt: str) -> Response:
    """The country report of the course: learners, completion and pass rates."""
    course = _course()
    board = build_dashboard(course, runtime().catalogue, course_roster(course))
    return _send([country_table(board.by_country, _("By country"))], "countries", fmt)


@bp.get("/m/<module_id>/export.<fmt>")
@launch_required(Access.FACILITATOR)
def export_module(module_id: str, fmt: str) -> Response:
    """One module's class (XLSX adds its countries and its questions)."""
    module, course = _module(module_id), _course()
    lang = current().locale
    board = build_dashboard(course, runtime().catalogue, course_roster(course), modules=[module])
    tables = [class_table(board, lang, module.id), country_table(board.by_country, _("By country")),
              questions_table(question_report(course, module, lang), module, lang, _("Questions"))]
    return _send(tables, f"{module.id}-class", fmt)


@bp.get("/m/<module_id>/questions.<fmt>")
@launch_required(Access.FACILITATOR)
def export_questions(module_id: str, fmt: str) -> Response:
    """Per-question results of one module: miss rates overall and by country, wrong answers chosen."""
    module, course = _module(module_id), _course()
    lang = current().locale
    return _send([questions_table(question_report(course, module, lang), module, lang, _("Questions"))],
                 f"{module.id}-questions", fmt)
