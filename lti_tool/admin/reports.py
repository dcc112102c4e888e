"""Completion reports for IOM programme staff and LMS admins, read from the Completion table.

Completions keep the country they counted for when they happened, so these figures never change
when a profile does. A report covers one platform (the admin's own LMS), never another.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..countries import country_name
from ..courses.models import Completion, Course, Enrolment
from ..exports import csv_text
from ..extensions import db


@dataclass(frozen=True)
class ReportLine:
    country: str | None
    agency: str | None
    module_id: str
    completions: int
    passes: int
    #: the language the modules were taken in, when the report is split by language
    language: str | None = None

    @property
    def country_label(self) -> str:
        return f"{country_name(self.country)} ({self.country})" if self.country else "Not given"


def completion_report(platform_id: int, *, by_agency: bool = False, by_language: bool = False) -> list[ReportLine]:
    """Completions and passes per country (and agency, and language) and module, over every course
    of the platform."""
    agency = Completion.agency if by_agency else func.cast(None, Completion.agency.type)
    language = Completion.language if by_language else func.cast(None, Completion.language.type)
    query = (
        select(Completion.country, agency.label("agency"), Completion.module_id, language.label("language"),
               func.count(Completion.id), func.sum(case((Completion.passed, 1), else_=0)))
        .join(Course, Course.id == Completion.course_id)
        .where(Course.platform_id == platform_id)
        .group_by(Completion.country, agency, Completion.module_id, language)
    )
    lines = [ReportLine(c, a, m, int(n), int(p or 0), lang) for c, a, m, lang, n, p in db.session.execute(query)]
    return sorted(lines, key=lambda l: (l.country is None, l.country_label, l.agency or "", l.module_id,
                                        l.language or ""))


def platform_totals(platform_id: int) -> dict[str, int]:
    courses = db.session.scalar(select(func.count(Course.id)).where(Course.platform_id == platform_id)) or 0
    learners = db.session.scalar(
        select(func.count(func.distinct(Enrolment.participant_id))).join(Course, Course.id == Enrolment.course_id)
        .where(Course.platform_id == platform_id, Enrolment.role == "learner")) or 0
    completions = db.session.scalar(
        select(func.count(Completion.id)).join(Course, Course.id == Completion.course_id)
        .where(Course.platform_id == platform_id)) or 0
    return {"courses": courses, "learners": learners, "completions": completions}


def report_csv(lines: list[ReportLine]) -> str:
    """The report as CSV (formula-safe: agencies are typed by people)."""
    return csv_text(["country", "country_name", "agency", "module", "language", "completions", "passes"],
                    ([line.country or "", country_name(line.country) if line.country else "",
                      line.agency or "", line.module_id, line.language or "", line.completions, line.passes]
                     for line in lines))
