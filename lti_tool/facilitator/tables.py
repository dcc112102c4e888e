"""The facilitator's exports as tables: the class (one line per learner and module), the questions,
the countries. Column names are stable snake_case (a pivot table keeps working across languages);
values a person reads (status, country and module names) are in the facilitator's language.
"""
from __future__ import annotations

from typing import Any

from ..countries import local_country_name
from ..exports import Table
from .dashboard import NOT_GIVEN, NOT_KNOWN, Dashboard, Tally
from .questions import QuestionReport
from .status import words

CLASS_HEADER = [
    "name", "email", "country", "country_name", "agency", "course", "module", "module_title", "status",
    "status_text", "pages_read", "pages_total", "attempts_used", "attempts_left", "score_percent", "passed",
    "completed", "started_at", "completed_at", "last_active_at", "grade_delivery", "language",
]


def _country(code: str | None) -> tuple[str, str]:
    if code in (None, NOT_GIVEN, NOT_KNOWN):
        return "", ""
    return code, local_country_name(code)


def class_table(board: Dashboard, lang: str, title: str) -> Table:
    """One line per learner and module, with where the result counts and whether the LMS has it."""
    course = board.course.label or board.course.title
    rows = []
    for row in board.rows:
        for module, cell in zip(board.modules, row.cells):
            code, name = _country(cell.country)
            rows.append([
                row.name, row.person.email, code, name, row.person.agency or "", course, module.id,
                module.title(lang).text, cell.status.value, words(cell), cell.pages_read, cell.pages_total,
                cell.attempts_used, "" if cell.attempts_left is None else cell.attempts_left,
                "" if cell.score is None else cell.score, "yes" if cell.passed else "no",
                "yes" if cell.completed else "no", cell.started_at, cell.completed_at, cell.last_seen_at,
                cell.delivery.status if cell.delivery else "", cell.language or "",
            ])
    return Table(title, CLASS_HEADER, rows)


def country_table(tallies: list[Tally], title: str) -> Table:
    header = ["country", "country_name", "learners", "results", "started", "completed", "completion_rate",
              "took_quiz", "passed", "pass_rate"]
    rows = []
    for t in tallies:
        code, name = _country(t.key)
        rows.append([code, name, t.learners, t.results, t.started, t.completed,
                     _blank(t.completion_rate), t.took_quiz, t.passed, _blank(t.pass_rate)])
    return Table(title, header, rows)


def questions_table(report: QuestionReport, module: Any, lang: str, title: str) -> Table:
    header = ["module", "module_title", "question", "prompt", "type", "answered", "missed", "missed_percent"]
    header += [f"missed_percent_{code or 'not_given'}" for code in report.countries]
    header += ["wrong_answers_chosen"]
    rows = []
    for stat in report.stats:
        rows.append([module.id, module.title(lang).text, stat.number, stat.prompt, stat.type.value, stat.drawn,
                     stat.missed, _blank(stat.missed_percent)]
                    + [_blank(stat.by_country[c].percent) if c in stat.by_country else "" for c in report.countries]
                    + ["; ".join(f"{text} ({n})" for text, n in stat.wrong)])
    return Table(title, header, rows)


def _blank(value: int | None) -> Any:
    return "" if value is None else value
