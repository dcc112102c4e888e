"""What a facilitator sees for a course: who started, finished and passed, by person and by country.

Built from a handful of set-based queries (progress, completions, latest deliveries, enrolments)
and assembled in Python, so 500 participants x 20 modules stays well under the 300 ms budget.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..countries import country_name
from ..courses.models import Completion, Course, Enrolment, Participant, Placement
from ..courses.roster import Roster
from ..exports import csv_text
from ..extensions import db
from ..grades.models import DeliveryStatus, GradeDelivery
from ..lti.roles import Access
from ..progress.models import Attempt, Progress
from ..quizzes.scoring import display_percent

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
#: learners per dashboard page: a 20-module grid of 100 rows stays light on a slow link
PAGE_SIZE = 100


@dataclass(slots=True)
class Delivery:
    id: int
    status: str
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(slots=True)
class Cell:
    state: str = NOT_STARTED
    #: pages read (to their end)
    pages_seen: int = 0
    pages_total: int = 0
    best_percent: int | None = None
    passed: bool = False
    delivery: Delivery | None = None
    attempts_used: int = 0
    #: quiz attempts allowed in all (the module's plus any granted); None: no quiz, or no limit
    attempts_allowed: int | None = None

    @property
    def locked(self) -> bool:
        """Every quiz attempt used without passing: only a facilitator can give another."""
        return self.attempts_allowed is not None and self.attempts_used >= self.attempts_allowed and not self.passed
    #: the language the module was completed in (None until completed, or not recorded)
    language: str | None = None


@dataclass(slots=True)
class Row:
    participant_id: int | None
    name: str
    email: str
    country: str | None
    agency: str | None
    cells: list[Cell]
    launched: bool = True


@dataclass
class CountryRow:
    country: str | None
    learners: int = 0
    started: int = 0      # (learner, module) pairs with any progress
    completed: int = 0
    passed: int = 0


@dataclass
class Dashboard:
    course: Course
    modules: list[Any]
    rows: list[Row]
    by_country: list[CountryRow]
    roster_problem: str | None
    failed_deliveries: int = 0
    pending_deliveries: int = 0
    #: scores kept because the course has no gradebook column for their module yet
    waiting_deliveries: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    def page(self, number: int, size: int = PAGE_SIZE, country: str | None = None) -> tuple[list[Row], int]:
        """One page of learner rows (optionally one country) and the number of pages."""
        rows = [r for r in self.rows if country is None or (r.country or "") == country]
        pages = max(1, -(-len(rows) // size))
        number = min(max(1, number), pages)
        return rows[(number - 1) * size: number * size], pages


def course_modules(course: Course, catalogue: Any) -> list[Any]:
    """Modules placed in this course, or started in it (through a link from another module), in catalogue order."""
    ids = set(db.session.scalars(select(Placement.module_id).where(
        Placement.course_id == course.id, Placement.module_id.is_not(None))).all())
    ids |= set(db.session.scalars(select(Progress.module_id).where(Progress.course_id == course.id).distinct()))
    return [m for m in catalogue.modules if m.id in ids]


def build_dashboard(course: Course, catalogue: Any, roster: Roster, *, details_for: int | None = None) -> Dashboard:
    """Every learner x module cell of a course. Column tuples, not ORM objects: 10,000 cells load fast."""
    modules = course_modules(course, catalogue)
    column = {m.id: i for i, m in enumerate(modules)}
    page_totals = [len(m.pages("en")[0]) for m in modules]

    rows: dict[int, Row] = {}
    subs: set[str] = set()
    for pid, sub, name, email, profile, chosen, agency in db.session.execute(
            select(Participant.id, Participant.sub, Participant.name, Participant.email, Participant.profile_country,
                   Participant.chosen_country, Participant.agency)
            .join(Enrolment, Enrolment.participant_id == Participant.id)
            .where(Enrolment.course_id == course.id, Enrolment.role == Access.LEARNER.label)
            .order_by(Participant.name, Participant.id)):
        subs.add(sub)
        rows[pid] = Row(pid, name or f"user {sub}", email, profile or chosen, agency,
                        [Cell(pages_total=total) for total in page_totals])

    # json_array_length exists in SQLite and PostgreSQL: count pages there instead of decoding 10,000 lists
    limits = [m.attempts if m.attempts and m.quiz("en") is not None else None for m in modules]
    for pid, module_id, pages_read, completed, best, passed, used, granted in db.session.execute(
            select(Progress.participant_id, Progress.module_id, func.json_array_length(Progress.pages_read),
                   Progress.completed_at.is_not(None), Progress.best_percent, Progress.passed,
                   Progress.attempts_used, Progress.attempts_granted)
            .where(Progress.course_id == course.id)):
        row, index = rows.get(pid), column.get(module_id)
        if row is None or index is None:
            continue
        cell = row.cells[index]
        cell.state = COMPLETED if completed else IN_PROGRESS
        cell.pages_seen = pages_read or 0
        cell.best_percent = display_percent(best, modules[index].pass_mark) if best is not None else None
        cell.passed = bool(passed)
        cell.attempts_used = used or 0
        cell.attempts_allowed = limits[index] + (granted or 0) if limits[index] is not None else None

    for pid, module_id, country, language in db.session.execute(
            select(Completion.participant_id, Completion.module_id, Completion.country, Completion.language)
            .where(Completion.course_id == course.id)
            .order_by(Completion.completed_at)):
        row, index = rows.get(pid), column.get(module_id)
        if row is None:
            continue
        if country is not None:
            row.country = country  # the country the latest completion counted for
        if index is not None:
            row.cells[index].language = language

    latest = (select(func.max(GradeDelivery.id))
              .where(GradeDelivery.course_id == course.id, GradeDelivery.status != DeliveryStatus.SUPERSEDED)
              .group_by(GradeDelivery.module_id, GradeDelivery.participant_id))
    failed = pending = waiting = 0
    for did, pid, module_id, status in db.session.execute(
            select(GradeDelivery.id, GradeDelivery.participant_id, GradeDelivery.module_id, GradeDelivery.status)
            .where(GradeDelivery.id.in_(latest)).order_by(GradeDelivery.id)):
        row, index = rows.get(pid), column.get(module_id)
        if row is None or index is None:
            continue
        row.cells[index].delivery = Delivery(did, status.value, None, None)
        failed += status == DeliveryStatus.FAILED
        pending += status == DeliveryStatus.PENDING
        waiting += status == DeliveryStatus.NO_COLUMN
    if details_for is not None and details_for in rows:
        # one learner's page also shows when the next try is and what the LMS said
        for cell in rows[details_for].cells:
            if cell.delivery is not None:
                found = db.session.get(GradeDelivery, cell.delivery.id)
                cell.delivery.next_attempt_at, cell.delivery.last_error = found.next_attempt_at, found.last_error

    extra = [Row(None, m.name or f"user {m.user_id}", m.email, None, None,
                 [Cell(pages_total=total) for total in page_totals], launched=False)
             for m in roster.members if m.access == Access.LEARNER and m.active and m.user_id not in subs]
    all_rows = list(rows.values()) + sorted(extra, key=lambda r: r.name)

    by_country: dict[str | None, CountryRow] = {}
    for row in all_rows:
        entry = by_country.setdefault(row.country, CountryRow(row.country))
        entry.learners += 1
        for cell in row.cells:
            entry.started += cell.state != NOT_STARTED
            entry.completed += cell.state == COMPLETED
            entry.passed += cell.passed
    countries = sorted(by_country.values(), key=lambda c: (c.country is None, country_sort_name(c.country)))
    return Dashboard(course, modules, all_rows, countries, roster.problem, failed, pending, waiting, {
        "learners": len(all_rows),
        "started": sum(c.started for c in countries),
        "completed": sum(c.completed for c in countries),
        "passed": sum(c.passed for c in countries),
    })


def country_sort_name(code: str | None) -> str:
    return country_name(code) if code else ""


def question_stats(course: Course, module: Any, lang: str) -> list[dict[str, Any]]:
    """For each quiz question: how often it was drawn in this course, and the share answered wrong."""
    quiz = module.quiz(lang)
    if quiz is None:
        return []
    drawn: dict[str, int] = defaultdict(int)
    missed: dict[str, int] = defaultdict(int)
    attempts = db.session.scalars(
        select(Attempt.question_points).join(Progress, Progress.id == Attempt.progress_id)
        .where(Progress.course_id == course.id, Progress.module_id == module.id, Attempt.submitted_at.is_not(None)))
    for points in attempts:
        for qid, earned in (points or {}).items():
            question = quiz.question(qid)
            if question is None:
                continue
            drawn[qid] += 1
            missed[qid] += float(earned) < float(question.points)
    stats = [{"qid": q.id, "prompt": q.prompt, "drawn": drawn[q.id],
              "missed": missed[q.id], "missed_percent": round(100 * missed[q.id] / drawn[q.id]) if drawn[q.id] else None}
             for q in quiz.questions]
    return sorted(stats, key=lambda s: (s["missed_percent"] is None, -(s["missed_percent"] or 0)))


def dashboard_csv(dashboard: Dashboard) -> str:
    """One line per learner and module: what an admin pastes into a report (formula-safe)."""
    return csv_text(
        ["name", "email", "country", "country_name", "agency", "module", "status", "pages_seen",
         "pages_total", "best_percent", "passed", "grade_delivery", "language"],
        ([row.name, row.email, row.country or "", country_name(row.country) if row.country else "",
          row.agency or "", module.id, cell.state, cell.pages_seen, cell.pages_total,
          "" if cell.best_percent is None else cell.best_percent, "yes" if cell.passed else "no",
          cell.delivery.status if cell.delivery else "", cell.language or ""]
         for row in dashboard.rows for module, cell in zip(dashboard.modules, row.cells)))
