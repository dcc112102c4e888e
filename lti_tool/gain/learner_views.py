"""The learner's knowledge checks and certificates, under /l/<ref>/ on the learner blueprint."""
from __future__ import annotations

import logging

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..countries import local_country_name
from ..courses.models import Course
from ..errors import BadRequest, Conflict, NotFound
from ..extensions import db
from ..learner.services import safe_next
from ..learner.views import bp
from ..lti.current import current, launch_required
from ..lti.roles import Access
from ..quizzes.engine import AnswerError
from ..runtime import runtime
from . import certificates, checks
from .forms import CheckForm
from .models import PRE, CourseTest

log = logging.getLogger(__name__)


def _course_and_learner() -> tuple[Course, int]:
    launch = current()
    if launch.access != Access.LEARNER:
        raise NotFound(_("Knowledge checks and certificates are for the course's learners."))
    if launch.launch.course_id is None or launch.launch.participant_id is None:
        raise BadRequest(_("This launch names no course or no user. Open the activity from your LMS course."))
    return db.session.get(Course, launch.launch.course_id), launch.launch.participant_id


def _kind(kind: str) -> str:
    if kind not in checks.KINDS:
        raise NotFound(_("There is no such knowledge check."))
    return kind


@bp.get("/check/<kind>")
@launch_required()
def knowledge_check(kind: str) -> Response | str:
    """The knowledge check before the first module or after the last: offered once, never graded."""
    course, participant_id = _course_and_learner()
    kind = _kind(kind)
    catalogue = runtime().catalogue
    found = checks.find(course.id, participant_id, kind)
    if found is not None and found.done:
        return _done(found)
    if checks.due(course, participant_id, catalogue) != kind:
        raise NotFound(_("This knowledge check is not open for you now."))
    check = checks.open_check(course, participant_id, kind, catalogue, current().locale)
    return _render(check, MultiDict())


@bp.post("/check/<kind>")
@launch_required()
def submit_check(kind: str) -> Response | str | tuple[str, int]:
    """Score the check once (or record that it was skipped); a second post changes nothing."""
    course, participant_id = _course_and_learner()
    kind = _kind(kind)
    form = CheckForm()
    if not form.validate():
        raise BadRequest(_("This form has expired or was not sent from its page. Open the knowledge check again."))
    check = checks.find(course.id, participant_id, kind)
    if check is None:
        raise NotFound(_("This knowledge check is not open for you now."))
    if not check.done:
        if form.action.data == "skip":
            checks.skip(check)
        else:
            country, agency = checks.person_country_agency(course.id, participant_id)
            try:
                checks.submit(check, request.form, runtime().catalogue, country=country, agency=agency)
            except AnswerError as exc:
                log.info("knowledge check %s: refused answers (%s)", check.id, exc.code)
                return _render(check, request.form, error=exc.number), 400
    home = url_for("learner.home")
    target = safe_next(form.next.data, home, url_for("learner.check_done", kind=kind))
    if check.kind == PRE and check.skipped_at is not None:
        # skipped: straight on to the module the learner came for
        return redirect(safe_next(form.next.data, home, home), code=303)
    return redirect(url_for("learner.check_done", kind=kind, next=target if target != home else None), code=303)


@bp.get("/check/<kind>/done")
@launch_required()
def check_done(kind: str) -> str:
    course, participant_id = _course_and_learner()
    found = checks.find(course.id, participant_id, _kind(kind))
    if found is None or not found.done:
        raise NotFound(_("You have not taken this knowledge check yet."))
    return _done(found)


def _done(check: CourseTest) -> str:
    before = checks.find(check.course_id, check.participant_id, PRE) if check.kind != PRE else None
    home = url_for("learner.home")
    return render_template("learner/check_done.html", check=check, before=before, lang=current().locale,
                           next=safe_next(request.args.get("next"), home, home))


def _render(check: CourseTest, posted: MultiDict, error: int | None = None) -> str:
    lang = current().locale
    form = CheckForm(formdata=None, next=request.args.get("next", "") or request.form.get("next", ""))
    parts = checks.sections(check, runtime().catalogue, lang)
    total = sum(len(p.questions) for p in parts)
    return render_template("learner/check.html", check=check, sections=parts, total=total, form=form,
                           posted=posted, error_number=error, lang=lang)


@bp.get("/certificate/<scope>")
@launch_required()
def certificate(scope: str) -> str:
    """A printable certificate, once what it stands for is completed; the same code on every visit."""
    course, participant_id = _course_and_learner()
    catalogue = runtime().catalogue
    modules = certificates.eligible(course, participant_id, catalogue).scopes.get(scope)
    if modules is None:
        raise NotFound(_("There is no certificate for this yet: it is given once you complete "
                         "what your course asks."))
    participant = current().launch.participant
    if not participant.name:
        raise Conflict(_("Your LMS did not share your name with this tool, so a certificate cannot be made. "
                         "Ask your LMS administrator to share names with it."))
    issued = certificates.issue(course, participant, scope, modules)
    return render_template("learner/certificate.html", cert=issued, code=certificates.shown_code(issued.code),
                           modules=[catalogue.get(m) for m in issued.modules if catalogue.get(m)],
                           course=course, lang=current().locale,
                           country=local_country_name(issued.country) if issued.country else None,
                           verify_url=url_for("verify.certificate", code=certificates.shown_code(issued.code),
                                              _external=True))
