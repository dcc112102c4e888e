"""What a facilitator sees for a course: every learner x module, by person, by country and by module.

Built from a handful of set-based queries (people, progress, open attempts, completions, latest
deliveries) read as column tuples and assembled in Python, so 500 participants x 20 modules stays
within the 300 ms budget. The same builder serves the course overview (every module), a module's
class view (one module) and one learner's page (one person), so the three always agree.

Countries: a result counts under the country of its completion (fixed when it happened); a result
not completed yet counts under the country it would count for now (the activity's country, else
the person's). So a Grenada learner who completes a module placed for AG adds one AG completion
and keeps his other results under Grenada.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import String, and_, func, select, type_coerce

from ..countries import rollout_countries
from ..courses.models import Completion, Course, Placement
from ..courses.placements import activity_countries as placement_countries
from ..courses.people import Person, learner_condition, learner_people
from ..courses.roster import Roster
from ..extensions import db
from ..grades.models import DeliveryStatus, GradeDelivery
from ..lti.roles import Access
from ..progress.models import Attempt, Progress
from ..progress.services import page_ids
from ..quizzes.scoring import display_percent
from .status import Cell, Delivery, Rates, Status, quiz_counts_for, settle

#: most grid cells on one page of the course overview (12 learners of 20 modules, 48 of 5): the
#: page, charts and stylesheets included, stays under 50 KB on a slow link
CELLS_PER_PAGE = 240
#: learners per page of a module's class (a live session has a few dozen; a cohort of 500 pages)
CLASS_PAGE = 60
#: country keys besides ISO codes: people who launched without giving one, and roster members
#: whose country the LMS does not say
NOT_GIVEN, NOT_KNOWN = "", "?"
FAILED, PENDING, NO_COLUMN = (DeliveryStatus.FAILED.value, DeliveryStatus.PENDING.value,
                              DeliveryStatus.NO_COLUMN.value)
#: a delivery status as stored (the enum's name) -> its value
_STORED_STATUS = {s.name: s.value for s in DeliveryStatus}


@dataclass(slots=True)
class Row:
    person: Person
    cells: list[Cell]

    @property
    def participant_id(self) -> int | None:
        return self.person.participant_id

    @property
    def name(self) -> str:
        return self.person.display_name

    @property
    def country(self) -> str | None:
        return self.person.country

    @property
    def launched(self) -> bool:
        return self.person.launched

    @property
    def last_seen_at(self) -> Any:
        seen = [c.last_seen_at for c in self.cells if c.last_seen_at is not None]
        return max(seen) if seen else self.person.last_launch_at


@dataclass
class Tally(Rates):
    """Counts for one country or one module: people, and (learner, module) results."""

    key: str
    learners: int = 0
    results: int = 0
    started: int = 0
    took_quiz: int = 0
    completed: int = 0
    passed: int = 0


@dataclass
class Dashboard:
    course: Course
    modules: list[Any]
    rows: list[Row]
    by_country: list[Tally]
    by_module: list[Tally]
    roster_problem: Any
    failed_deliveries: int = 0
    pending_deliveries: int = 0
    #: scores kept because the course has no gradebook column for their module yet
    waiting_deliveries: int = 0
    totals: Tally = field(default_factory=lambda: Tally("all"))

    def filtered(self, country: str | None = None, agency: str | None = None,
                 status: str | None = None) -> list[Row]:
        """Rows of one country (a code, NOT_GIVEN or NOT_KNOWN), agency and status (one module)."""
        rows = self.rows
        if country is not None:
            rows = [r for r in rows if _person_key(r.person) == country or any(c.country == country for c in r.cells)]
        if agency is not None:
            rows = [r for r in rows if (r.person.agency or "") == agency]
        if status is not None:
            rows = [r for r in rows if any(c.status == status for c in r.cells)]
        return rows

    def page(self, rows: list[Row], number: int) -> tuple[list[Row], int, int]:
        """One page of rows, the number of pages and the page number actually shown."""
        size = max(10, min(CLASS_PAGE, CELLS_PER_PAGE // max(1, len(self.modules))))
        pages = max(1, -(-len(rows) // size))
        number = min(max(1, number), pages)
        return rows[(number - 1) * size: number * size], pages, number

    @property
    def agencies(self) -> list[str]:
        return sorted({r.person.agency for r in self.rows if r.person.agency}, key=str.casefold)


# -- the course's modules -------------------------------------------------------------------------

def course_modules(course: Course, catalogue: Any) -> list[Any]:
    """Modules of this course in catalogue order: placed (by a launch or a Deep Linking reply, before
    anyone launched it) or started in it through a link from another module."""
    ids = set(db.session.scalars(select(Placement.module_id).where(
        Placement.course_id == course.id, Placement.module_id.is_not(None))).all())
    ids |= set(db.session.scalars(select(Progress.module_id).where(Progress.course_id == course.id).distinct()))
    return [m for m in catalogue.modules if m.id in ids]


def activity_countries(course_id: int) -> dict[str, str]:
    """module id -> the country set on the course's activity for it (see courses.placements)."""
    return {module_id: country for (_course, module_id), country in placement_countries([course_id]).items()}


# -- the builder ----------------------------------------------------------------------------------

def build_dashboard(course: Course, catalogue: Any, roster: Roster, *, modules: list[Any] | None = None,
                    participant_id: int | None = None, with_details: bool = False,
                    with_times: bool = True) -> Dashboard:
    """Every learner x module of the course (or of `modules`, or one learner's), with the roll-ups.

    `with_times=False` leaves out when each result started, was last seen and completed: the
    course overview's grid does not show them, and reading 30,000 timestamps is most of its cost.
    """
    modules = course_modules(course, catalogue) if modules is None else modules
    index = {m.id: i for i, m in enumerate(modules)}
    people = learner_people(course.id, participant_id)
    if participant_id is None:
        people += _not_launched(roster, {p.sub for p in people})
    totals = [len(page_ids(m)) for m in modules]
    rows = [Row(p, [Cell(total) for total in totals]) for p in people]
    by_id = {r.participant_id: r for r in rows if r.participant_id is not None}
    scope = _Scope(course.id, list(index), participant_id)

    _fill_progress(by_id, index, modules, scope, with_times)
    _fill_open_attempts(by_id, index, scope)
    failed, pending, waiting = _fill_deliveries(by_id, index, scope, with_details)
    by_country, by_module, totals = _settle_and_count(rows, modules, activity_countries(course.id))
    return Dashboard(course, modules, rows, by_country, by_module, roster.problem, failed, pending, waiting, totals)


@dataclass(frozen=True)
class _Scope:
    course_id: int
    module_ids: list[str]
    participant_id: int | None

    def where(self, course_col: Any, module_col: Any, participant_col: Any) -> list[Any]:
        found = [course_col == self.course_id, module_col.in_(self.module_ids)]
        if self.participant_id is not None:
            found.append(participant_col == self.participant_id)
        return found


def _not_launched(roster: Roster, launched: set[str]) -> list[Person]:
    """Learners on the LMS roster who never opened an EMM2.0 activity of the course."""
    extra = [Person(None, m.user_id, m.name, m.email, m.country, m.agency, launched=False)
             for m in roster.members if m.access == Access.LEARNER and m.active and m.user_id not in launched]
    return sorted(extra, key=lambda p: p.display_name.casefold())


def _fill_progress(rows: dict[int, Row], index: dict[str, int], modules: list[Any], scope: _Scope,
                   with_times: bool) -> None:
    # json_array_length exists in SQLite and PostgreSQL: count pages there instead of decoding 10,000 lists
    positions = [{pid: n for n, pid in enumerate(page_ids(m), 1)} for m in modules]
    shown: dict[tuple[float, int], int] = {}  # the same scores recur: display_percent once each
    times = (Progress.started_at, Progress.last_seen_at, Progress.completed_at) if with_times else ()
    # the completion's own country comes with its progress row (one query, not two): a result is never
    # moved to the country of a later completion
    for (pid, module_id, pages_read, last_page, done, used, granted, score, passed, location, completion_id,
         completion_country, language, *moments) in db.session.execute(
            select(Progress.participant_id, Progress.module_id, func.json_array_length(Progress.pages_read),
                   Progress.last_page_id, Progress.completed_at.is_not(None), Progress.attempts_used,
                   Progress.attempts_granted,
                   func.coalesce(Progress.score_percent, Progress.best_percent), Progress.passed,
                   Progress.location, Completion.id, Completion.country, Completion.language, *times)
            .outerjoin(Completion, and_(Completion.course_id == Progress.course_id,
                                        Completion.participant_id == Progress.participant_id,
                                        Completion.module_id == Progress.module_id))
            .where(*scope.where(Progress.course_id, Progress.module_id, Progress.participant_id))):
        row, at = rows.get(pid), index.get(module_id)
        if row is None or at is None:
            continue
        cell = row.cells[at]
        cell.pages_read = pages_read or 0
        cell.page = positions[at].get(last_page, 0) if last_page else 0
        cell.begun = True
        if moments:
            cell.started_at, cell.last_seen_at, cell.completed_at = moments
        cell.completed = bool(done)
        cell.attempts_used = used or 0
        cell.attempts_granted = granted or 0
        if score is not None:
            key = (score, modules[at].pass_mark)
            cell.score = shown.get(key)
            if cell.score is None:
                cell.score = shown[key] = display_percent(score, key[1])
        cell.passed = bool(passed)
        cell.location = location
        if completion_id is not None:
            cell.country = completion_country or NOT_GIVEN
            cell.language = language


def _fill_open_attempts(rows: dict[int, Row], index: dict[str, int], scope: _Scope) -> None:
    for pid, module_id in db.session.execute(
            select(Progress.participant_id, Progress.module_id).join(Attempt, Attempt.progress_id == Progress.id)
            .where(Attempt.submitted_at.is_(None),
                   *scope.where(Progress.course_id, Progress.module_id, Progress.participant_id))):
        row, at = rows.get(pid), index.get(module_id)
        if row is not None and at is not None:
            row.cells[at].quiz_open = True


def _fill_deliveries(rows: dict[int, Row], index: dict[str, int], scope: _Scope,
                     with_details: bool) -> tuple[int, int, int]:
    """The latest score owed per learner and module column, and how many failed, wait or have no column."""
    latest = (select(func.max(GradeDelivery.id))
              .where(GradeDelivery.status != DeliveryStatus.SUPERSEDED,
                     *scope.where(GradeDelivery.course_id, GradeDelivery.module_id, GradeDelivery.participant_id))
              .group_by(GradeDelivery.module_id, GradeDelivery.participant_id))
    # the status as stored (the enum's name): no enum object built per row
    columns = [GradeDelivery.id, GradeDelivery.participant_id, GradeDelivery.module_id,
               type_coerce(GradeDelivery.status, String)]
    if with_details:  # one learner's page also says when the next try is and what the LMS said
        columns += [GradeDelivery.next_attempt_at, GradeDelivery.last_error]
    failed = pending = waiting = 0
    for did, pid, module_id, status, *details in db.session.execute(
            select(*columns).where(GradeDelivery.id.in_(latest)).order_by(GradeDelivery.id)):
        row, at = rows.get(pid), index.get(module_id)
        if row is None or at is None:
            continue
        status = _STORED_STATUS[status]
        row.cells[at].delivery = Delivery(did, status, *details)
        failed += status == FAILED
        pending += status == PENDING
        waiting += status == NO_COLUMN
    return failed, pending, waiting


def _person_key(person: Person) -> str:
    if person.country:
        return person.country
    return NOT_GIVEN if person.launched else NOT_KNOWN


def _settle_and_count(rows: list[Row], modules: list[Any],
                      activity: dict[str, str]) -> tuple[list[Tally], list[Tally], Tally]:
    """Each cell's status and country, and the tallies by country, by module and in all (one pass)."""
    countries: dict[str, Tally] = {code: Tally(code) for code in rollout_countries()}
    per_module = [Tally(m.id) for m in modules]
    counts = [quiz_counts_for(m) for m in modules]
    placed = [activity.get(m.id) for m in modules]
    totals = Tally("all", learners=len(rows))
    for row in rows:
        own = _person_key(row.person)
        seen: set[str] = set()
        for module, cell, tally, quiz_counts, here in zip(modules, row.cells, per_module, counts, placed):
            settle(cell, module, quiz_counts)
            if cell.country is None:  # not completed: where it would count now
                cell.country = here or own
            key = cell.country
            country = countries.get(key)
            if country is None:
                country = countries[key] = Tally(key)
            if key not in seen:
                seen.add(key)
                country.learners += 1
            tally.learners += 1
            started, took = cell.status is not Status.NOT_STARTED, cell.attempts_used > 0
            for each in (country, tally, totals):
                each.results += 1
                each.started += started
                each.took_quiz += took
                each.completed += cell.completed
                each.passed += cell.passed
        if not row.cells:
            countries.setdefault(own, Tally(own)).learners += 1
    return sorted(countries.values(), key=_country_order), per_module, totals


def _country_order(tally: Tally) -> tuple:
    from ..countries import local_country_name

    rollout = rollout_countries()
    if tally.key in rollout:
        return (0, rollout.index(tally.key), "")
    if tally.key in (NOT_GIVEN, NOT_KNOWN):
        return (2, 0 if tally.key == NOT_GIVEN else 1, "")
    return (1, 0, local_country_name(tally.key))


def module_index(dashboard: Dashboard, module_id: str) -> int | None:
    return next((i for i, m in enumerate(dashboard.modules) if m.id == module_id), None)


def score_bands(cells: Iterable[Cell], pass_mark: int) -> list[dict[str, Any]]:
    """How many learners scored in each band of ten (0-9 … 90-100), and whether the band passes."""
    bands = [0] * 10
    for cell in cells:
        if cell.score is not None:
            bands[min(9, cell.score // 10)] += 1
    return [{"low": 10 * i, "high": 100 if i == 9 else 10 * i + 9, "count": n, "passes": 10 * i >= pass_mark}
            for i, n in reversed(list(enumerate(bands)))]


def status_counts(cells: Iterable[Cell]) -> dict[Status, int]:
    counts: dict[Status, int] = defaultdict(int)
    for cell in cells:
        counts[cell.status] += 1
    return counts
