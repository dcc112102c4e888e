"""`emm-lti attempts grant|reset`: give a learner more quiz attempts from the command line."""
from __future__ import annotations

from typing import Any

import click

from sqlalchemy import or_, select

from ..cli_support import emm_errors, fail, with_database
from ..courses.models import Course, Participant
from ..extensions import db

COURSE_HELP = ("The course: the tool's course id (a number, as `emm-lti grades status` shows it), or the LMS "
               "course's label (short name, e.g. EMM2-CARIB) or context id.")


def find_course(text: str, fail: Any) -> Course:
    """One course by our id, else by the LMS's label or context id; exit 2 when none or several match."""
    if text.isdigit():
        found = db.session.get(Course, int(text))
        if found is not None:
            return found
    matches = list(db.session.scalars(select(Course).where(or_(Course.label == text, Course.context_id == text))
                                      .order_by(Course.id).limit(10)))
    if not matches:
        fail(f"--course: no course {text!r} (give the tool's course id, or the LMS course label or context id)")
    if len(matches) > 1:
        listed = ", ".join(f"{c.id} ({c.label or c.context_id}, {c.title or 'untitled'})" for c in matches)
        fail(f"--course: {text!r} names {len(matches)} courses: {listed}; give the tool's course id instead")
    return matches[0]


def register_cli(main: click.Group) -> None:
    """Add this package's commands to the `emm-lti` (or `flask`) command group."""
    @main.group("attempts")
    def attempts_group() -> None:
        """Quiz attempts: give a learner who used them all one more, or reset them."""

    def command(kind: str, help_text: str) -> None:
        @attempts_group.command(kind, help=help_text)
        @click.option("--course", required=True, help=COURSE_HELP)
        @click.option("--user", "sub", required=True, help="The learner's LMS user id (the LTI `sub`).")
        @click.option("--module", "module_id", required=True, help="The module id, e.g. m01.")
        @click.option("--reason", default="", help="Why; shown to the learner in their history (500 characters at most).")
        @with_database
        @emm_errors
        def run(course: str, sub: str, module_id: str, reason: str) -> None:
            from flask import current_app

            from ..runtime import runtime
            from . import services

            if len(reason) > 500:
                fail("--reason: 500 characters at most")
            found = find_course(course, fail)
            module = runtime(current_app).catalogue.get(module_id)
            if module is None:
                fail(f"--module: no module {module_id!r} in the curriculum "
                     f"(modules: {', '.join(m.id for m in runtime(current_app).catalogue)})")
            participant = db.session.scalar(select(Participant).where(
                Participant.platform_id == found.platform_id, Participant.sub == sub))
            if participant is None:
                fail(f"--user: nobody with LMS user id {sub!r} has launched the tool from course {found.id}'s LMS")
            progress = services.learner_progress(found.id, participant.id, module)
            grant = services.grant_attempts(progress, module, kind=services.GRANT_EXTRA if kind == "grant"
                                            else services.GRANT_RESET, reason=reason, by_name="")
            db.session.commit()
            left = services.attempts_left(progress, module)
            click.echo(f"{participant.name or 'user ' + sub} (user {sub}) may take the {module.id} quiz again in "
                       f"course {found.id}: {grant.attempts_added} attempt(s) added, {left} left "
                       f"({services.attempts_allowed(progress, module)} allowed in all)")

    command("grant", "Give a learner one more attempt at a module's quiz (earlier scores are kept).")
    command("reset", "Give a learner the module's full number of quiz attempts again (earlier scores are kept).")
