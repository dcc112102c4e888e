"""Session mode: who is active in a module right now, and where; the quiz's state for the group.

"Active" means the learner opened a page, the quiz or a result of this module in the last two
minutes (a view refreshes `progress.last_seen_at` at most once a minute, so rereading costs no
write). The panel asks for `live_state` every few seconds; it is one indexed query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..courses.course_modules import QuizGate, quiz_gate
from ..courses.models import Participant
from ..courses.people import learner_condition
from ..extensions import db
from ..models_base import utcnow
from ..progress.models import Attempt, Progress
from ..progress.services import page_ids

#: how recent a learner's last view must be to count as "active now"
ACTIVE_WINDOW = timedelta(minutes=2)
#: how often the panel asks again (the page's script reads it from the markup)
POLL_SECONDS = 2


@dataclass(frozen=True)
class Presence:
    participant_id: int
    name: str
    #: page | quiz | result
    kind: str
    #: the page number for kind == page (1-based)
    page: int | None
    where: str
    seen_at: datetime


@dataclass(frozen=True)
class LiveState:
    module_id: str
    active: list[Presence]
    gate: QuizGate
    now: datetime
    #: learners of the course with an unsubmitted attempt of this module
    quiz_open_count: int

    def on_page(self, number: int) -> int:
        return sum(1 for p in self.active if p.kind == "page" and p.page == number)

    def to_json(self) -> dict[str, Any]:
        return {
            "module": self.module_id,
            "now": self.now.isoformat(),
            "active": [{"name": p.name, "kind": p.kind, "page": p.page, "where": p.where} for p in self.active],
            "active_text": active_text(len(self.active)),
            "quiz": {"closed": self.gate.closed, "time_limit": self.gate.time_limit_minutes,
                     "extra_minutes": self.gate.extra_minutes, "open_attempts": self.quiz_open_count,
                     "text": gate_text(self.gate)},
        }


def live_state(course_id: int, module: Any, lang: str, now: datetime | None = None) -> LiveState:
    """Who has been active in the module in the last ACTIVE_WINDOW, most recent first."""
    now = now or utcnow()
    pages, _used = module.pages(lang)
    titles = {p.id: p.title for p in pages}
    numbers = {pid: n for n, pid in enumerate(page_ids(module), 1)}
    active = []
    for pid, name, sub, location, last_page, seen in db.session.execute(
            select(Progress.participant_id, Participant.name, Participant.sub, Progress.location,
                   Progress.last_page_id, Progress.last_seen_at)
            .join(Participant, Participant.id == Progress.participant_id)
            .where(Progress.course_id == course_id, Progress.module_id == module.id,
                   Progress.last_seen_at >= now - ACTIVE_WINDOW,
                   learner_condition(Progress.course_id, Progress.participant_id))
            .order_by(Participant.name, Participant.id)):
        kind = location or "page"
        number = numbers.get(last_page) if kind == "page" else None
        active.append(Presence(pid, name or f"user {sub}", kind, number,
                               where_text(kind, number, len(numbers), titles.get(last_page or "")), seen))
    open_count = db.session.scalar(
        select(db.func.count(Attempt.id)).join(Progress, Progress.id == Attempt.progress_id)
        .where(Progress.course_id == course_id, Progress.module_id == module.id, Attempt.submitted_at.is_(None),
               learner_condition(Progress.course_id, Progress.participant_id))) or 0
    return LiveState(module.id, active, quiz_gate(course_id, module.id), now, open_count)


def where_text(kind: str, page: int | None, total: int, title: str | None) -> str:
    if kind == "quiz":
        return _("taking the quiz")
    if kind == "result":
        return _("reading a quiz result")
    if page:
        return _("page %(page)d of %(total)d: %(title)s", page=page, total=total, title=title or "")
    return _("module overview")


def active_text(count: int) -> str:
    if not count:
        return _("Nobody has been active in this module in the last 2 minutes.")
    return ngettext("%(num)d learner active in the last 2 minutes",
                    "%(num)d learners active in the last 2 minutes", count)


def gate_text(gate: QuizGate) -> str:
    state = _("The quiz is closed: learners cannot start it.") if gate.closed else _("The quiz is open.")
    if gate.time_limit_minutes is None:
        return state + " " + _("No time limit.")
    limit = ngettext("Time limit: %(num)d minute.", "Time limit: %(num)d minutes.", gate.time_limit_minutes)
    if gate.extra_minutes:
        limit += " " + ngettext("Extended by %(num)d minute.", "Extended by %(num)d minutes.", gate.extra_minutes)
    return state + " " + limit
