"""Admin routes under /l/<ref>/admin/: institution or system administrators only."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from ..countries import local_country_name
from ..errors import BadRequest, NotFound
from ..exports import CSV_TYPE, XLSX_TYPE, csv_bytes, download_headers, file_name, xlsx_bytes
from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..models_base import utcnow
from ..runtime import runtime
from .reports import BY, completion_report, completions_table, matrix_table, quarter_of, report_table

bp = Blueprint("admin", __name__, url_prefix="/l/<ref>/admin")
scope_to_launch(bp)


def _module_title(module_id: str) -> str:
    module = runtime().catalogue.get(module_id)
    return module.title(current().locale).text if module else module_id


def _query() -> tuple[str, date | None, date | None]:
    by = request.args.get("by") or "country"
    if by not in BY:
        raise BadRequest(_("The report can be by country, module, agency or language, not %(value)s.",
                           value=repr(by[:20])))
    since, until = _date("since"), _date("until")
    if since and until and since > until:
        raise BadRequest(_("The start date is after the end date."))
    return by, since, until


def _date(name: str) -> date | None:
    raw = request.args.get(name) or ""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(_("%(field)s: %(value)s is not a date (YYYY-MM-DD).", field=name, value=repr(raw[:20]))) from None


@bp.get("/")
@launch_required(Access.ADMIN)
def report() -> str:
    """Completion and pass rates by country, module or agency across this LMS's courses, with dates."""
    by, since, until = _query()
    found = completion_report([current().launch.platform_id], by=by, since=since, until=until)
    this_quarter = quarter_of(utcnow().date())
    last_quarter = quarter_of(this_quarter[0] - timedelta(days=1))
    from ..learner.services import LANGUAGE_LABELS

    return render_template("admin/report.html", report=found, by=by, module_title=_module_title,
                           language_names=LANGUAGE_LABELS,
                           quarters=[(_("This quarter"), this_quarter), (_("Last quarter"), last_quarter)],
                           lang=current().locale)


@bp.get("/report.<fmt>")
@launch_required(Access.ADMIN)
def report_download(fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound(_("Exports come as .csv or .xlsx."))
    by, since, until = _query()
    found = completion_report([current().launch.platform_id], by=by, since=since, until=until)
    table = report_table(found, local_country_name, _module_title, _("Report"))
    name = file_name(current().launch.platform.name or "platform", f"completions-by-{by}", utcnow().date(), fmt)
    if fmt == "csv":
        return Response(csv_bytes(table), mimetype=CSV_TYPE, headers=download_headers(name))
    tables = [table, matrix_table(found, local_country_name, _("Country x module")),
              completions_table(found, local_country_name, _module_title, _("Completions"))]
    return Response(xlsx_bytes(tables), mimetype=XLSX_TYPE, headers=download_headers(name))
