"""Learner routes, all under /l/<ref>/ (the signed launch reference): overview, pages, quiz, result.

Whose progress a page shows always comes from the launch (its course and participant), never
from the URL: another learner's attempt id or quiz key is simply not found.
"""
from __future__ import annotations

import logging
from typing import Any
from collections.abc import Callable

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from ..content import Module
from ..content.schema import DEFAULT_LANG
from ..courses.course_modules import QuizGate, TimeRanOut, apply_time_limit, quiz_gate
from ..error_pages import refusal
from ..errors import BadRequest, LaunchExpired, NotFound
from ..extensions import db
from ..forms import is_cross_site_post, launch_csrf_token
from ..lti.current import CurrentLaunch, current, launch_required, scope_to_launch
from ..lti.roles import Access
from ..models_base import utcnow
from ..progress import services as progress
from ..progress.models import Attempt, Progress
from ..quizzes.engine import AnswerError, Paper, form_values, paper_view
from ..runtime import runtime
from . import late_answers, services
from .forms import AboutYouForm, LanguageForm, QuizForm, ReadForm

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


@bp.app_template_filter("percent")
def _percent(value: float | None, pass_mark: int | None = None) -> str:
    """A stored percentage as every page shows it: `{{ attempt.percent|percent(attempt.pass_mark) }}`."""
    shown = services.shown_percent(value, pass_mark)
    return "" if shown is None else str(shown)


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
def module(module_id: str) -> Response | str:
    """The module's overview: objectives, time, progress, where to resume, attempts so far."""
    found = _module(module_id)
    lang = current().locale
    mine = _my_progress(found)
    open_attempt = progress.open_attempt_of(mine) if mine is not None else None
    scored_now = progress.settle(mine, found, open_attempt)   # a late submit, or a deadline passed: scored now
    if scored_now is not None:
        open_attempt = None
    outline = services.outline(found, lang, mine, with_attempts=True)
    course_next = _course_next(outline.status == "completed")
    if course_next.check_due == "pre":
        # the knowledge check comes before the first module (offered once; it can be skipped)
        return redirect(url_for("learner.knowledge_check", kind="pre", next=request.full_path.rstrip("?")))
    latest = outline.history[-1] if outline.history else None
    return render_template("learner/module.html", module=found, lang=lang, outline=outline,
                           open_attempt=open_attempt, static=_module_static(found, lang, outline),
                           language_labels=services.LANGUAGE_LABELS, scored_now=scored_now,
                           gate=quiz_gate(current().launch.course_id, found.id),
                           latest_grant=latest.grant if latest is not None else None,
                           completed_now=request.args.get("completed") == "1" and outline.status == "completed",
                           saved=request.args.get("saved") == "1" and open_attempt is not None,
                           course_next=course_next)


@bp.get("/m/<module_id>/p/<page_id>")
@launch_required()
def page(module_id: str, page_id: str) -> str:
    """One page of the module; opening it makes it the page to resume at (reading it is `read`)."""
    found = _module(module_id)
    lang = current().locale
    shown, _used = found.page(page_id, lang)
    if shown is None:
        raise NotFound(_("Module %(module)s has no page %(page)s.", module=found.id, page=page_id))
    course_id, participant_id = _who()
    mine = progress.get_or_create_progress(course_id, participant_id, found.id)
    outline = services.outline(found, lang, mine, opening=shown.id)
    html = render_template("learner/page.html", module=found, lang=lang, outline=outline, page=shown,
                           previous=outline.page_before(shown), next=outline.page_after(shown),
                           after_last=services.after_last_page(outline), read_form=ReadForm(),
                           language_labels=services.LANGUAGE_LABELS)
    # written last: on SQLite the write lock is then held only from here to the request's commit
    progress.record_page_view(mine, found, shown.id)
    return html


@bp.post("/m/<module_id>/p/<page_id>/read")
@launch_required()
def read(module_id: str, page_id: str) -> Response:
    """The learner reached the end of a page ("Next" at its bottom, or scrolled there): count it read."""
    found = _module(module_id)
    shown, _used = found.page(page_id, DEFAULT_LANG)
    if shown is None:
        raise NotFound(_("Module %(module)s has no page %(page)s.", module=found.id, page=page_id))
    form = ReadForm()
    if not form.validate():
        raise BadRequest(_("This page has expired or the form was not sent from it. Open the page again."))
    course_id, participant_id = _who()
    mine = progress.get_or_create_progress(course_id, participant_id, found.id)
    completed = progress.record_page_read(mine, found, shown.id)
    if form.via.data == "script":
        return jsonify(read=True, completed=completed)
    outline = services.outline(found, current().locale, mine)
    following = outline.page_after(shown)
    if form.go.data == "next" and following is not None:
        target = url_for("learner.page", module_id=found.id, page_id=following.id)
    elif form.go.data == "quiz":
        target = url_for("learner.quiz", module_id=found.id)
    else:
        target = url_for("learner.module", module_id=found.id, completed=1 if completed else None)
    return redirect(target, code=303)


@bp.get("/m/<module_id>/quiz")
@launch_required()
def quiz(module_id: str) -> Response | str | tuple[str, int]:
    """The quiz on one page: every question of the learner's open attempt (drawn on first visit),
    with the answers saved so far, from this device or another."""
    found = _module(module_id)
    lang = current().locale
    course_id, participant_id = _who()
    mine = progress.get_or_create_progress(course_id, participant_id, found.id)
    open_now = progress.open_attempt_of(mine)
    scored = progress.settle(mine, found, open_now)
    if scored is not None:   # submitted after the launch had expired, or past its deadline or time limit
        return _to_result(found, scored)
    gate = quiz_gate(course_id, found.id)
    if gate.closed and open_now is None:
        # the facilitator holds the quiz for the group; an attempt already open may be finished
        return _quiz_waiting(found, lang, mine)
    try:
        attempt = progress.open_attempt(mine, found, lang=lang, placement_id=_placement_for(found), known=open_now)
    except progress.NoAttemptsLeft as exc:
        return _quiz_closed(found, lang, mine, exc)
    apply_time_limit(attempt, gate, found)
    progress.touch(mine, "quiz")
    return _render_quiz(found, lang, mine, attempt, _saved_fields(attempt), gate=gate)


@bp.post("/m/<module_id>/quiz")
@launch_required()
def submit(module_id: str) -> Response | str | tuple[str, int]:
    """Score the quiz once; the same form posted again shows the same result (no second attempt)."""
    found = _module(module_id)
    lang = current().locale
    form, mine, attempt = _posted_attempt(found)
    if attempt.submitted or not progress.hold_open_attempt(attempt):
        return _to_result(found, attempt)
    if quiz_gate(mine.course_id, found.id).too_late(attempt.created_at, utcnow()):
        # the time limit passed: the attempt counts as it stood, with the answers saved by then
        scored = progress.settle(mine, found)
        if scored is not None:
            return redirect(url_for("learner.result", module_id=found.id, attempt_id=scored.id, late=1), code=303)
    try:
        answers = progress.read_answers(found, attempt, request.form,
                                        allow_unanswered=form.confirm_unanswered.data == "1")
    except AnswerError as exc:
        log.info("attempt %s: refused answers (%s)", attempt.id, exc.code)
        return _render_quiz(found, lang, mine, attempt, request.form, error=exc, status=400)
    except progress.Unanswered as exc:
        # what the form gave is kept, so leaving now loses nothing
        progress.save_draft(attempt, progress.parse_form(found, attempt, request.form))
        return _render_quiz(found, lang, mine, attempt, _saved_fields(attempt), unanswered=exc.numbers)
    submission = progress.submit_attempt(mine, found, attempt, answers)
    return _to_result(found, submission.attempt)


@bp.post("/m/<module_id>/quiz/save")
@launch_required()
def save_answers(module_id: str) -> Response | tuple[Response, int]:
    """Keep answers on the server as the learner goes: one question at a time from quiz.js, or the
    whole form with "Save and leave". A save after the attempt was scored is refused (409)."""
    found = _module(module_id)
    script = request.form.get("via") == "script"
    _form, mine, attempt = _posted_attempt(found)
    if quiz_gate(mine.course_id, found.id).too_late(attempt.created_at, utcnow()):
        late = TimeRanOut()   # answers saved before the time limit are the ones that count
        if script:
            return jsonify(saved=False, message=str(late.message)), late.status
        raise late
    try:
        saved = _save(found, attempt, request.form)
    except progress.AttemptClosed as exc:
        if script:
            return jsonify(saved=False, message=str(exc.message)), exc.status
        raise
    if script:
        return jsonify(saved=True, answered=saved)
    return redirect(url_for("learner.module", module_id=found.id, saved=1), code=303)


@bp.errorhandler(LaunchExpired)
def _launch_expired(exc: LaunchExpired) -> Response | tuple[str | Response, int]:
    """A quiz form posted after its launch expired keeps its answers (late_answers.py says how)."""
    if request.method == "POST" and request.endpoint in ("learner.submit", "learner.save_answers"):
        return _keep_late_answers(request.endpoint, request.view_args or {})
    return refusal(exc)


@bp.get("/m/<module_id>/attempts/<int:attempt_id>")
@launch_required()
def result(module_id: str, attempt_id: int) -> str:
    """A scored attempt: score, pass or not, per-question feedback, attempts left, best score."""
    found = _module(module_id)
    lang = current().locale
    mine = _my_progress(found)
    attempt = progress.find_submitted_attempt(mine, attempt_id)
    outline = services.outline(found, lang, mine, with_attempts=True)
    show = services.answers_shown(found, outline)
    progress.touch(mine, "result")
    return render_template(
        "learner/result.html", module=found, lang=lang, outline=outline, attempt=attempt,
        percent=services.shown_percent(attempt.percent, attempt.pass_mark),
        review=services.review(found, attempt, lang), show_answers=show,
        answers_later=None if show else services.answers_later(found),
        language_labels=services.LANGUAGE_LABELS, late=request.args.get("late") == "1",
    )


@bp.route("/about-you", methods=["GET", "POST"])
@launch_required()
def about_you() -> Response | str | tuple[str, int]:
    """Asked once: the country (and agency) a learner's completions count for, and why we ask."""
    launch = current()
    home_url = url_for("learner.home")
    if not services.needs_country_question(launch.launch):
        # asked once, and only when neither the activity nor the LMS gives a country: nothing to change
        target = request.form.get("next") if request.method == "POST" else request.args.get("next")
        return redirect(services.safe_next(target, home_url, home_url), code=303)
    form = AboutYouForm(next=request.args.get("next", ""))
    ask_agency = services.lms_agency(launch.launch) is None
    if not ask_agency:
        del form.agency  # the LMS says which agency: the learner is not asked
    if request.method == "POST":
        if not form.validate():
            return render_template("learner/about_you.html", form=form, lang=launch.locale,
                                   ask_agency=ask_agency), 400
        services.save_about_you(launch.launch.participant, form.country.data,
                                form.agency.data if ask_agency else None)
        return redirect(services.safe_next(form.next.data, home_url, home_url), code=303)
    return render_template("learner/about_you.html", form=form, lang=launch.locale, ask_agency=ask_agency)


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
    home_url = url_for("learner.home")
    target = services.safe_next(form.next.data, home_url, home_url)  # a bad `next` changes nothing
    participant.chosen_locale = form.locale.data
    db.session.flush()
    return redirect(target, code=303)


# -- helpers --------------------------------------------------------------------------------------

def _course_next(module_completed: bool) -> Any:
    """The course's knowledge check due and certificates ready, for learners only (never staff)."""
    from ..gain.checks import CourseNext, course_next

    launch = current()
    if launch.access != Access.LEARNER:
        return CourseNext()
    return course_next(launch.launch.course, launch.launch.participant_id, runtime().catalogue,
                       module_completed=module_completed)


def _module_static(module: Module, lang: str, outline: services.Outline) -> Callable[[str], Markup]:
    """The overview's parts that are the same for every learner in `lang` (intro, objectives,
    reading), each rendered on first use and then kept on the Runtime."""
    store = runtime().prerendered

    def part(name: str) -> Markup:
        return store.template(("module", module.id, lang, name), lang, "learner/_module_static.html", part=name,
                              module=module, section=services.SECTION_LABELS[module.section], pages=outline.pages,
                              pages_lang=outline.pages_lang, has_quiz=outline.has_quiz,
                              language_labels=services.LANGUAGE_LABELS)

    return part


def _quiz_static(lang: str) -> Callable[[str], Markup]:
    """The quiz page's notes that are the same for every learner and module in `lang` (intro, the
    save status's messages), each rendered on first use and then kept on the Runtime."""
    store = runtime().prerendered
    return lambda name: store.template(("quiz", lang, name), lang, "learner/_quiz_static.html", part=name)


def _to_result(module: Module, attempt: Attempt) -> Response:
    return redirect(url_for("learner.result", module_id=module.id, attempt_id=attempt.id), code=303)


def _posted_attempt(module: Module) -> tuple[QuizForm, Progress, Attempt]:
    """The quiz form posted to this launch and the learner's own attempt it names; 400 / 404 otherwise."""
    form = QuizForm()
    if not form.validate():
        raise BadRequest(_("This quiz form has expired or was not sent from this page. "
                           "Open the quiz again: your attempt is kept."))
    mine = _my_progress(module)
    if mine is None:
        raise NotFound(_("This quiz form does not belong to your current attempt. Open the quiz again."))
    return form, mine, progress.find_attempt_by_key(mine, form.attempt.data or "")


def _saved_fields(attempt: Attempt) -> MultiDict:
    """The attempt's saved answers as the form fields that show them."""
    return MultiDict(form_values(Paper.from_dict(attempt.paper), progress.stored_answers(attempt, draft=True)))


def _save(module: Module, attempt: Attempt, form: MultiDict) -> int:
    """Save a quiz form's answers into the attempt; `question` fields (quiz.js) name the questions it
    speaks for. Returns how many questions have a saved answer."""
    answers = progress.parse_form(module, attempt, form)
    covered = form.getlist("question")
    if covered:
        unknown = set(covered) - set(Paper.from_dict(attempt.paper).question_ids)
        if unknown:
            raise BadRequest(_("This quiz form does not match your attempt. Open the quiz again."))
    progress.save_draft(attempt, answers, covered or None)
    return len(attempt.draft or {})


def _keep_late_answers(endpoint: str, args: dict) -> Response | tuple[str | Response, int]:
    """Keep a late quiz form's answers with its attempt; it is scored when the learner is back."""
    script = request.form.get("via") == "script"
    module = runtime().catalogue.get(args.get("module_id", ""))
    problem = None
    if module is None or is_cross_site_post():
        problem = _("This form was not sent from this quiz, so its answers could not be kept.")
    else:
        try:
            target = late_answers.attempt_for_token(request.form.get("answers_token", ""),
                                                    key=request.form.get("attempt", ""), module_id=module.id)
            if endpoint == "learner.submit":
                progress.request_submit(target.attempt, progress.parse_form(module, target.attempt, request.form))
            else:
                _save(module, target.attempt, request.form)
        except late_answers.NotKept as exc:
            problem = (_("This attempt was already submitted: its result is kept. Open the activity again "
                         "from your LMS to see it.") if exc.submitted
                       else _("These answers could not be kept: the quiz form is too old or not yours."))
        except (AnswerError, progress.QuizChanged) as exc:
            log.info("late quiz answers refused: %s", exc)
            problem = _("These answers do not fit the quiz any more, so they could not be kept.")
        except progress.AttemptClosed:
            problem = _("This attempt was already submitted: its result is kept. Open the activity again "
                        "from your LMS to see it.")
    if script:
        if problem:
            return jsonify(saved=False, expired=True, message=problem), 409
        return jsonify(saved=True, expired=True)
    return render_template("learner/late_answers.html", problem=problem,
                           submitted=endpoint == "learner.submit"), 409 if problem else 202


def _render_quiz(module: Module, lang: str, mine: Progress, attempt: Attempt, posted: MultiDict, *,
                 error: AnswerError | None = None, unanswered: list[int] | None = None,
                 status: int = 200, gate: QuizGate | None = None) -> tuple[str, int]:
    quiz_content = module.quiz(lang)
    assert quiz_content is not None
    questions = paper_view(quiz_content, Paper.from_dict(attempt.paper))
    form = QuizForm(formdata=None, attempt=attempt.key, confirm_unanswered="1" if unanswered else "")
    outline = services.outline(module, lang, mine)
    return render_template(
        "learner/quiz.html", module=module, lang=lang, outline=outline, attempt=attempt, form=form,
        questions=questions, quiz_lang=quiz_content.lang, posted=posted, error=error,
        error_text=services.answer_problem(error) if error else None,
        unanswered=unanswered or [], language_labels=services.LANGUAGE_LABELS, static=_quiz_static(lang),
        answers_token=late_answers.answers_token(attempt, mine.participant_id),
        time_limit=(gate or quiz_gate(mine.course_id, module.id)).deadline(attempt.created_at),
    ), status


def _quiz_closed(module: Module, lang: str, mine: Progress, exc: progress.NoAttemptsLeft) -> tuple[str, int]:
    outline = services.outline(module, lang, mine, with_attempts=True)
    return render_template("learner/quiz_closed.html", module=module, lang=lang, outline=outline,
                           message=exc.message), exc.status


def _quiz_waiting(module: Module, lang: str, mine: Progress) -> tuple[str, int]:
    """The facilitator has not opened the quiz (or closed it): say so, and how to go on."""
    outline = services.outline(module, lang, mine, with_attempts=True)
    return render_template("learner/quiz_waiting.html", module=module, lang=lang, outline=outline), 409
