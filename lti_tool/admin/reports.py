"""Completion reports for IOM programme staff and LMS admins, across the courses of a platform.

A *result* is one person's work on one module. A person who took the same module in two courses
has one result (the completed one, else the one started first): participants are counted once.
A result counts under the country (and agency) of its completion, fixed when it happened; a
result not completed yet under the country it would count for now (the activity's, else the
person's). Every rollout country (EMM_ROLLOUT_COUNTRIES) appears, with 0 when it has nothing.

A date range keeps the results started or completed within it; "completed" counts completions
within it. Rates: completed among the results in the range; passed among those who took the quiz.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import select

from ..countries import rollout_countries
from ..courses.models import Completion, Course
from ..courses.placements import activity_countries
from ..courses.people import PERSON_AGENCY, PERSON_COUNTRY, learner_condition, with_person
from ..exports import Table
from ..extensions import db
from ..facilitator.status import Rates
from ..progress.models import Progress

BY = ("country", "module", "agency", "language")
NOT_GIVEN = ""


@dataclass(slots=True)
class Result:
    participant_id: int
    module_id: str
    country: str
    agency: str
    started_at: datetime
    completed_at: datetime | None
    took_quiz: bool
    passed: bool
    #: the language the module was taken in ("" until it is completed)
    language: str = ""


@dataclass
class Line(Rates):
    """One line of the report: the people in it (each once), their results and the rates."""

    key: str
    people: set[int] = field(default_factory=set)
    results: int = 0
    completed: int = 0
    took_quiz: int = 0
    passed: int = 0

    @property
    def learners(self) -> int:
        return len(self.people)


@dataclass
class Report:
    by: str
    lines: list[Line]
    totals: Line
    courses: int
    #: country -> module -> Line, for the country x module table
    matrix: dict[str, dict[str, Line]]
    module_ids: list[str]
    since: date | None
    until: date | None
    #: every result the report counts, for the detailed sheet
    results: list[Result] = field(default_factory=list)


def period(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since 00:00, until+1 00:00) in UTC: `until` is a whole day included."""
    start = datetime.combine(since, time(), timezone.utc) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), timezone.utc) if until else None
    return start, end


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter that holds `day`: (first day, last day)."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = date(first.year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def results(platform_ids: Iterable[int], since: date | None = None, until: date | None = None) -> list[Result]:
    """Every learner's result on these platforms, one per (person, module), within the dates."""
    platform_ids = list(platform_ids)
    courses = select(Course.id).where(Course.platform_id.in_(platform_ids))
    activity = activity_countries(courses)
    done = {(c, p, m): (country, agency, at, passed, lang) for c, p, m, country, agency, at, passed, lang in
            db.session.execute(
        select(Completion.course_id, Completion.participant_id, Completion.module_id, Completion.country,
               Completion.agency, Completion.completed_at, Completion.passed, Completion.language)
        .where(Completion.course_id.in_(courses), learner_condition(Completion.course_id, Completion.participant_id)))}
    start, end = period(since, until)
    found: dict[tuple[int, str], Result] = {}
    for course_id, pid, module_id, started, used, passed, person_country, person_agency in db.session.execute(
            with_person(select(Progress.course_id, Progress.participant_id, Progress.module_id, Progress.started_at,
                               Progress.attempts_used, Progress.passed, PERSON_COUNTRY, PERSON_AGENCY),
                        Progress.course_id, Progress.participant_id)
            .where(Progress.course_id.in_(courses), learner_condition(Progress.course_id, Progress.participant_id))):
        completion = done.get((course_id, pid, module_id))
        if completion is not None:
            country, agency, completed_at, passed_then, language = completion
            result = Result(pid, module_id, country or NOT_GIVEN, agency or "", started, completed_at,
                            bool(used), bool(passed_then or passed), language or "")
        else:
            country = activity.get((course_id, module_id)) or person_country or NOT_GIVEN
            result = Result(pid, module_id, country, person_agency or "", started, None, bool(used), bool(passed))
        done.pop((course_id, pid, module_id), None)
        key = (pid, module_id)
        if _better(result, found.get(key)):
            found[key] = result
    for (course_id, pid, module_id), (country, agency, completed_at, passed, language) in done.items():
        # a completion whose progress is gone (erased data kept for reports) still counts
        result = Result(pid, module_id, country or NOT_GIVEN, agency or "", completed_at, completed_at,
                        False, bool(passed), language or "")
        if _better(result, found.get((pid, module_id))):
            found[(pid, module_id)] = result
    return [r for r in found.values() if _within(r, start, end)]


def _better(new: Result, old: Result | None) -> bool:
    if old is None:
        return True
    if (new.completed_at is None) != (old.completed_at is None):
        return new.completed_at is not None
    return (new.completed_at or new.started_at) < (old.completed_at or old.started_at)


def _within(result: Result, start: datetime | None, end: datetime | None) -> bool:
    def inside(moment: datetime | None) -> bool:
        return moment is not None and (start is None or moment >= start) and (end is None or moment < end)

    return inside(result.started_at) or inside(result.completed_at)


def completion_report(platform_ids: Iterable[int], *, by: str = "country", since: date | None = None,
                      until: date | None = None) -> Report:
    """Learners, results, completions and passes by country, module or agency, with totals."""
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, got {by!r}")
    platform_ids = list(platform_ids)
    found = results(platform_ids, since, until)
    start, end = period(since, until)
    lines: dict[str, Line] = {}
    if by == "country":
        lines = {code: Line(code) for code in rollout_countries()}
    totals = Line("all")
    matrix: dict[str, dict[str, Line]] = defaultdict(dict)
    for code in rollout_countries():
        matrix[code] = {}
    for r in found:
        key = {"country": r.country, "module": r.module_id, "agency": r.agency, "language": r.language}[by]
        completed_in = r.completed_at is not None and (start is None or r.completed_at >= start) and (
            end is None or r.completed_at < end)
        cell = matrix[r.country].setdefault(r.module_id, Line(r.module_id))
        for line in (lines.setdefault(key, Line(key)), totals, cell):
            line.people.add(r.participant_id)
            line.results += 1
            line.completed += completed_in
            line.took_quiz += r.took_quiz
            line.passed += r.passed
    courses = db.session.scalar(select(db.func.count(Course.id)).where(Course.platform_id.in_(platform_ids))) or 0
    module_ids = sorted({r.module_id for r in found})
    return Report(by, _ordered(by, lines), totals, courses, dict(matrix), module_ids, since, until, found)


def _ordered(by: str, lines: dict[str, Line]) -> list[Line]:
    if by == "country":
        rollout = rollout_countries()
        return sorted(lines.values(), key=lambda l: (l.key not in rollout, rollout.index(l.key) if l.key in rollout
                                                     else 0, l.key == NOT_GIVEN, l.key))
    return sorted(lines.values(), key=lambda l: (l.key == NOT_GIVEN, l.key.casefold()))


def report_table(report: Report, label: Any, module_title: Any, title: str) -> Table:
    """The report as one table: key (with country name or module title), counts and rates."""
    header = {"country": ["country", "country_name"], "module": ["module", "module_title"],
              "agency": ["agency"], "language": ["language"]}[report.by]
    header = header + ["learners", "results", "completed", "completion_rate", "took_quiz", "passed", "pass_rate",
                       "since", "until"]
    rows = []
    for line in [*report.lines]:
        if report.by == "country":
            key = [line.key, label(line.key) if line.key else ""]
        elif report.by == "module":
            key = [line.key, module_title(line.key)]
        else:
            key = [line.key]
        rows.append(key + [line.learners, line.results, line.completed, _blank(line.completion_rate),
                           line.took_quiz, line.passed, _blank(line.pass_rate),
                           report.since.isoformat() if report.since else "",
                           report.until.isoformat() if report.until else ""])
    return Table(title, header, rows)


def matrix_table(report: Report, label: Any, title: str) -> Table:
    """Completions by country (rows) and module (columns)."""
    header = ["country", "country_name"] + [f"{m}_completed" for m in report.module_ids]
    rows = [[code, label(code) if code else ""] + [cells[m].completed if m in cells else 0 for m in report.module_ids]
            for code, cells in report.matrix.items()]
    return Table(title, header, rows)


def completions_table(report: Report, label: Any, module_title: Any, title: str) -> Table:
    """Completions and passes by country, agency, module and the language it was taken in."""
    counts: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in report.results:
        if r.completed_at is None:
            continue
        entry = counts[(r.country, r.agency, r.module_id, r.language)]
        entry[0] += 1
        entry[1] += r.passed
    header = ["country", "country_name", "agency", "module", "module_title", "language", "completions", "passes"]
    rows = [[c, label(c) if c else "", a, m, module_title(m), lang, n, p]
            for (c, a, m, lang), (n, p) in sorted(counts.items())]
    return Table(title, header, rows)


def report_json(report: Report, label: Any, module_title: Any) -> dict[str, Any]:
    def line(l: Line) -> dict[str, Any]:
        return {"learners": l.learners, "results": l.results, "completed": l.completed,
                "completion_rate": l.completion_rate, "took_quiz": l.took_quiz, "passed": l.passed,
                "pass_rate": l.pass_rate}

    def name(key: str) -> str:
        if report.by == "country":
            return label(key) if key else ""
        return module_title(key) if report.by == "module" else key

    return {
        "by": report.by, "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None, "courses": report.courses,
        "totals": line(report.totals),
        "lines": [{"key": l.key, "name": name(l.key), **line(l)} for l in report.lines],
    }


def _blank(value: int | None) -> Any:
    return "" if value is None else value
