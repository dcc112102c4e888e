"""Pages a person clicks through: course, launch, gradebook, switches; plus small JSON helpers."""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, session, url_for

from .course import COURSE, LOCALES
from .extension import LaunchRefused
from .state import Switches
from .web import check_csrf, current_lms, html_message, json_error

log = logging.getLogger(__name__)

bp = Blueprint("demo_lms", __name__)

SWITCH_LABELS = {
    "ags_down": "AGS and NRPS are down: answer 503 with Retry-After",
    "ags_retry_after": "Retry-After for the 503, in seconds",
    "score_fail_percent": "Fail this share of score posts with 500 (0–100 %)",
    "score_fail_after_store": "Store the score before answering 500 (the retry then gets 409)",
    "rate_limit_retry_after": "Answer every AGS/NRPS call with 429 and this Retry-After, in seconds (0 = off)",
    "token_fail": "The token endpoint fails (500)",
    "slow_ms": "A slow LMS: the token endpoint, AGS and NRPS answer after this many milliseconds (0 = at once)",
    "moodle_mode": "Moodle mode: launches send no lti_storage_target (no platform storage)",
}


@bp.get("/")
def course() -> str:
    lms = current_lms()
    with lms.state.lock:
        placements = list(lms.state.placements.values())
        line_items = dict(lms.state.line_items)
    return render_template(
        "demo_lms/course.html",
        course=COURSE,
        users=list(lms.state.users.values()),
        placements=placements,
        line_items=line_items,
        locales=LOCALES,
        moodle_mode=lms.switches.moodle_mode,
        registration=lms.registration_values(),
        tool=lms.cfg,
    )


@bp.get("/launch")
def launch() -> str | tuple[str, int]:
    """Show the tool in an iframe whose src is the tool's OIDC login-initiation URL."""
    lms = current_lms()
    args = request.args
    deep_link = args.get("deep_link") == "1"
    storage = {"on": True, "off": False}.get(args.get("storage", ""))
    options: dict[str, Any] = {"deep_link": deep_link, "locale": args.get("locale") or None}
    try:
        user = lms.user(args.get("user", ""))
        placement_id = None if deep_link else args.get("placement")
        frame_url = lms.login_url(user.sub, placement_id, platform_storage=storage, **options)
        placement = lms.placement(placement_id) if placement_id else None
        # as Moodle's activity page: a new window starts a launch of its own (launch.php), every time
        window_url = (lms.urls.activity_launch(placement.id) if placement else
                      lms.login_url(user.sub, placement_id, document_target="window", **options))
    except LaunchRefused as exc:
        return html_message(exc.status, "This launch cannot start", str(exc))
    # the demo has no login: who you act as is remembered, as Moodle's session knows its user
    session["acting_user"] = user.sub
    return render_template(
        "demo_lms/launch.html",
        course=COURSE,
        user=user,
        placement=placement,
        deep_link=deep_link,
        frame_url=frame_url,
        window_url=window_url,
        platform_storage="lti_storage_target=" in frame_url,
        tool_origin=lms.cfg.tool_origin,
    )


@bp.get("/mod/lti/launch.php")
def activity_launch() -> Response | tuple[str, int]:
    """Moodle's launch.php: a fresh login initiation for the activity, posted to the tool by the browser.

    Moodle's own "open in a new window" link and its activity frame point here; so may a tool that
    asks to be opened in a new window, since the launch it was given is spent by then.
    """
    lms = current_lms()
    user_sub = session.get("acting_user")
    if not user_sub:
        return html_message(401, "Choose who you are",
                            "The demo LMS has no sign-in: choose a person on the course page, then open the activity.")
    try:
        params = lms.login_params(user_sub, request.args.get("id", ""), document_target="window")
    except LaunchRefused as exc:
        return html_message(exc.status, "This launch cannot start", str(exc))
    return render_template("demo_lms/form_post.html", action=lms.cfg.tool_login_url, fields=params)


@bp.get("/gradebook")
def gradebook() -> str:
    lms = current_lms()
    with lms.state.lock:
        line_items = list(lms.state.line_items.values())
        scores = dict(lms.state.scores)
        placements = dict(lms.state.placements)
    refresh = request.args.get("refresh", "")
    return render_template(
        "demo_lms/gradebook.html",
        course=COURSE,
        learners=lms.state.learners(),
        line_items=line_items,
        scores=scores,
        placements=placements,
        refresh=int(refresh) if refresh.isdigit() and 0 < int(refresh) <= 600 else None,
    )


def _switches_from_form(form: Any) -> dict[str, Any]:
    """Checkboxes are on when present; numbers must be whole numbers (a 400 otherwise)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(Switches):
        if f.type in ("bool", bool):
            changes[f.name] = f.name in form
        else:
            raw = form.get(f.name, "0").strip() or "0"
            if not raw.isdigit():
                raise ValueError(f"{SWITCH_LABELS.get(f.name, f.name)}: {raw!r} is not a whole number")
            changes[f.name] = int(raw)
    return changes


@bp.route("/switches", methods=["GET", "POST"])
def switches() -> Any:
    lms = current_lms()
    if request.method == "POST":
        check_csrf()
        if request.form.get("action") == "rotate_key":
            kid = lms.rotate_key()
            flash(f"Platform key rotated: the JWKS now has only kid {kid}.")
        else:
            try:
                lms.set_switches(**_switches_from_form(request.form))
            except ValueError as exc:
                return html_message(400, "Switches not saved", str(exc))
            flash("Switches saved.")
        return redirect(url_for("demo_lms.switches"), code=303)
    current = dataclasses.asdict(lms.switches)
    return render_template(
        "demo_lms/switches.html",
        switches=current,
        labels=SWITCH_LABELS,
        kid=lms.key.kid,
        stats=lms.stats,
    )


@bp.get("/return")
def launch_return() -> tuple[str, int]:
    """launch_presentation.return_url: where the tool sends a person back, with lti_msg / lti_errormsg."""
    msg = request.args.get("lti_errormsg") or request.args.get("lti_msg") or "You are back in the course."
    return html_message(200, "Back from the tool", msg)


@bp.post("/lti11/outcomes")
def basic_outcomes() -> Response:
    return json_error(501, "the demo LMS does not serve LTI 1.1 Basic Outcomes; use AGS")


# -- JSON helpers for scripts and end-to-end tests -----------------------------------------------


@bp.get("/demo/stats.json")
def stats_json() -> Response:
    return jsonify(current_lms().stats)


@bp.get("/demo/registration.json")
def registration_json() -> Response:
    return jsonify(current_lms().registration_values())


@bp.route("/demo/switches.json", methods=["GET", "POST"])
def switches_json() -> Response:
    """Read or change switches. POST must be application/json: a cross-site form cannot send that."""
    lms = current_lms()
    if request.method == "POST":
        if not request.is_json:
            return json_error(415, "send the switches as application/json")
        origin = request.headers.get("Origin")
        if origin and origin != lms.cfg.base_url:
            return json_error(403, f"origin {origin} may not change switches")
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            return json_error(400, "the body must be a JSON object of switch names and values")
        try:
            lms.set_switches(**changes)
        except (TypeError, ValueError) as exc:
            return json_error(400, str(exc))
    return jsonify(dataclasses.asdict(lms.switches))
