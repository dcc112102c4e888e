"""Admin routes under /l/<ref>/admin/: institution or system administrators only."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from ..lti.current import current, launch_required, scope_to_launch
from ..lti.roles import Access
from .reports import completion_report, platform_totals, report_csv

bp = Blueprint("admin", __name__, url_prefix="/l/<ref>/admin")
scope_to_launch(bp)


@bp.get("/")
@launch_required(Access.ADMIN)
def report() -> str:
    """Completion by country (and, on request, agency) across this LMS's courses."""
    platform_id = current().launch.platform_id
    by_agency = request.args.get("by") == "agency"
    return render_template("admin/report.html", lines=completion_report(platform_id, by_agency=by_agency),
                           totals=platform_totals(platform_id), by_agency=by_agency)


@bp.get("/report.csv")
@launch_required(Access.ADMIN)
def report_download() -> Response:
    # the download is also split by the language each module was taken in
    lines = completion_report(current().launch.platform_id, by_agency=request.args.get("by") == "agency",
                              by_language=True)
    response = Response(report_csv(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="emm2-completions-by-country.csv"'
    return response
