"""Learner routes, all under /l/<ref>/ (the signed launch reference): overview, pages, quiz, result.

Whose progress a page shows always comes from the launch (its course and participant), never
from the URL: another learner's attempt id or quiz key is simply not found.
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..content import Module
from ..errors import BadRequest, NotFound
from ..extensions import db
from ..forms import launch_csrf_token
from ..lti.current import CurrentLaunch, current, launch_required, scope_to_launch
from ..progress import services as progress
from ..progress.models import Attempt, Progress
from ..quizzes.engine import AnswerError, Paper, paper_view
from ..runtime import runtime
from . import services
from .forms import AboutYouForm, LanguageForm, QuizForm

log = logging.getLogger(__name__)

bp = Blueprint("learner", __name__, url_prefix="/l/<ref>")
scope_to_launch(bp)


@bp.context_processor
def _learner_globals() -> dict:
    """The language switch shown on every learner page (not on error pages without a launch)."""
    launch: CurrentLaunch | None = g.get("launch")
    if launch is None:
        return {}
    return {"language_csrf": launch_csrf_token(launch.launch.id), "language_names": services.LANGUAGE_NAMES,
            "language_next": request.full_path.rstrip("?") if request.method == "GET" else request.path}


def _module(module_id: str) -> Module:
    """The module named in the URL; NotFound when the curriculum has no such module."""
    found = runtime().catalogue.get(module_id)
    if found is None:
        raise NotFound(_("There is no module %(id)s in this curriculum.", id=module_id))
    return found


def _who() -> tuple[int, int]:
    """The course and participant progress is recorded for: always the launch's own."""
    launch = current().launch
    if launch.course_id is None or launch.participant_id is None:
        raise BadRequest(_("This launch names no course or no user, so your progress cannot be recorded. "
                           "Open the activity from your LMS course."))
    return launch.course_id, launch.participant_id


def _my_progress(module: Module) -> Progress | None:
    launch = current().launch
    return progress.find_progress(launch.course_id, launch.participant_id, module.id)


def _placement_for(module: Module) -> int | None:
    placement = current().launch.placement
    return placement.id if placement is not None and placement.module_id == module.id else None


@bp.get("/")
@launch_required()
def home() -> Response | tuple[str, int]:
    """Send each launch where it belongs (services.landing_url), or say there is no module to show."""
    launch = current()
    placement = launch.launch.placement
    module_id = placement.module_id if placement else None
    target = services.landing_url(launch.ref, deep_link=launch.is_deep_link, access=launch.access,
                                  module_id=module_id, catalogue=runtime().catalogue,
                                  asks_country=lambda: services.needs_country_question(launch.launch))
    if target is not None:
        return redirect(target)
    return render_template("learner/no_module.html", module_id=module_id), 404


@bp.get("/m/<module_id>/")
@launch_required()
def module(module_id: str) -> str:
    """The module's overview: objectives, time, progress, where to resume, attempts so far."""
    found = _module(module_id)
    lang = current().locale
    outline = services.outline(found, lang, _my_progress(found), with_attempts=True)
    open_attempt = progress.open_attempt_of(outline.progress) if outline.progress else None
    return render_template("learner/module.html", module=found, lang=lang, outline=outline,
                           open_attempt=open_attempt, section=services.SECTION_LABELS[found.section],
                           language_labels=services.LANGUAGE_LABELS)


@bp.get("/m/<module_id>/p/<page_id>")
@launch_required()
def page(module_id: str, page_id: str) -> str:
    """One page of the module; opening it marks it seen and makes it the page to resume at."""
    found = _module(module_id)
    lang = current().locale
    shown, _used = found.page(page_id, lang)
    if shown is None:
        raise NotFound(_("Module %(module)s has no page %(page)s.", module=found.id, page=page_id))
    course_id, participant_id = _who()
    mine = progress.get_or_create_progress(course_id, participant_id, found.id)
    outline = services.outline(found, lang, mine, also_seen=shown.id)
    html = render_template("learner/page.html", module=found, lang=lang, outline=outline, page=shown,
                           previous=outline.page_before(shown), next=outline.page_after(shown),
                           completed_now=progress.page_view_completes(mine, found, shown.id),
                           language_labels=services.LANGUAGE_LABELS)
    # written last: on SQLite the write lock is then held only from here to the request's commit
    progress.record_page_view(mine, found, shown.id)
    return html


@bp.get("/m/<module_id>/quiz")
@launch_required()
def quiz(module_id: str) -> str | tuple[str, int]:
    """The quiz on one page: every question of the learner's open attempt (drawn on first visit)."""
    found = _module(module_id)
    lang = current().locale
    course_id, participant_id = _who()
    mine = progress.get_or_create_progress(course_id, participant_id, found.id)
    try:
        attempt = progress.open_attempt(mine, found, lang=lang, placement_id=_placement_for(found))
    except progress.NoAttemptsLeft as exc:
        return _quiz_closed(found, lang, mine, exc)
    return _render_quiz(found, lang, mine, attempt, MultiDict())


@bp.post("/m/<module_id>/quiz")
@launch_required()
def submit(module_id: str) -> Response | str | tuple[str, int]:
    """Score the quiz once; the same form posted again shows the same result (no second attempt)."""
    found = _module(module_id)
    lang = current().locale
    form = QuizForm()
    if not form.validate():
        raise BadRequest(_("This quiz form has expired or was not sent from this page. "
                           "Open the quiz again: your attempt is kept."))
    mine = _my_progress(found)
    if mine is None:
        raise NotFound(_("This quiz form does not belong to your current attempt. Open the quiz again."))
    attempt = progress.find_attempt_by_key(mine, form.attempt.data or "")
    if attempt.submitted:
        return _to_result(found, attempt)
    try:
        answers = progress.read_answers(found, attempt, request.form,
                                        allow_unanswered=form.confirm_unanswered.data == "1")
    except AnswerError as exc:
        log.info("attempt %s: refused answers (%s)", attempt.id, exc.code)
        return _render_quiz(found, lang, mine, attempt, request.form, error=exc, status=400)
    except progress.Unanswered as exc:
        return _render_quiz(found, lang, mine, attempt, request.form, unanswered=exc.numbers)
    submission = progress.submit_attempt(mine, found, attempt, answers)
    return _to_result(found, submission.attempt)


@bp.get("/m/<module_id>/attempts/<int:attempt_id>")
@launch_required()
def result(module_id: str, attempt_id: int) -> str:
    """A scored attempt: score, pass or not, per-question feedback, attempts left, best score."""
    found = _module(module_id)
    lang = current().locale
    mine = _my_progress(found)
    attempt = progress.find_submitted_attempt(mine, attempt_id)
    outline = services.outline(found, lang, mine)
    return render_template(
        "learner/result.html", module=found, lang=lang, outline=outline, attempt=attempt,
        percent=services.percent_display(attempt.percent), review=services.review(found, attempt, lang),
        language_labels=services.LANGUAGE_LABELS,
    )


@bp.route("/about-you", methods=["GET", "POST"])
@launch_required()
def about_you() -> Response | str | tuple[str, int]:
    """Asked once: the country (and agency) a learner's completions count for, and why we ask."""
    launch = current()
    home_url = url_for("learner.home")
    form = AboutYouForm(next=request.args.get("next", ""))
    if request.method == "POST":
        if not form.validate():
            return render_template("learner/about_you.html", form=form, lang=launch.locale), 400
        services.save_about_you(launch.launch.participant, form.country.data, form.agency.data)
        return redirect(services.safe_next(form.next.data, home_url, home_url), code=303)
    return render_template("learner/about_you.html", form=form, lang=launch.locale)


@bp.post("/language")
@launch_required()
def language() -> Response:
    """Switch the interface language for this learner (kept for their next launches too)."""
    form = LanguageForm()
    if not form.validate():
        raise BadRequest(_("Choose English, Español or Français."))
    participant = current().launch.participant
    if participant is None:
        raise BadRequest(_("This launch names no user, so the language cannot be kept."))
    participant.chosen_locale = form.locale.data
    db.session.flush()
    home_url = url_for("learner.home")
    return redirect(services.safe_next(form.next.data, home_url, home_url), code=303)


# -- helpers --------------------------------------------------------------------------------------

def _to_result(module: Module, attempt: Attempt) -> Response:
    return redirect(url_for("learner.result", module_id=module.id, attempt_id=attempt.id), code=303)


def _render_quiz(module: Module, lang: str, mine: Progress, attempt: Attempt, posted: MultiDict, *,
                 error: AnswerError | None = None, unanswered: list[int] | None = None,
                 status: int = 200) -> tuple[str, int]:
    quiz_content = module.quiz(lang)
    assert quiz_content is not None
    questions = paper_view(quiz_content, Paper.from_dict(attempt.paper))
    form = QuizForm(formdata=None, attempt=attempt.key, confirm_unanswered="1" if unanswered else "")
    outline = services.outline(module, lang, mine)
    return render_template(
        "learner/quiz.html", module=module, lang=lang, outline=outline, attempt=attempt, form=form,
        questions=questions, quiz_lang=quiz_content.lang, posted=posted, error=error,
        error_text=services.answer_problem(error) if error else None,
        unanswered=unanswered or [], language_labels=services.LANGUAGE_LABELS,
    ), status


def _quiz_closed(module: Module, lang: str, mine: Progress, exc: progress.NoAttemptsLeft) -> tuple[str, int]:
    outline = services.outline(module, lang, mine, with_attempts=True)
    return render_template("learner/quiz_closed.html", module=module, lang=lang, outline=outline,
                           message=exc.message), exc.status
