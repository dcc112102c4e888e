"""What the knowledge checks show: the share of answers correct before and after, and the gain,
by country (and agency) and module objective, each figure with the number of people behind it.

- *before* counts everyone who took the check before, *after* everyone who took it after;
- *gain* counts only the people who took both (paired), as the difference between their share
  correct after and before, in percentage points: a gain is never the artefact of who turned up.
Each person answers one question per objective, so `n` for an objective is a number of people.
Only learners count (staff trying the check are left out); a check counts under the country and
agency fixed when it was submitted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable

from sqlalchemy import select

from ..courses.models import Participant
from ..courses.people import learner_condition
from ..extensions import db
from ..quizzes.scoring import display_percent
from .models import POST, PRE, CourseTest

ALL = "*"


@dataclass
class Share:
    """`correct` answers out of `answers`, given by `n` people (one answer each for an objective)."""

    n: int = 0
    correct: int = 0
    answers: int = 0

    def add(self, correct: int, answers: int = 1) -> None:
        self.n += 1
        self.correct += correct
        self.answers += answers

    @property
    def percent(self) -> int | None:
        return None if not self.answers else display_percent(Fraction(self.correct * 100, self.answers))


@dataclass
class Gain:
    """Before, after, and the paired gain for one group of people (and one objective, or all)."""

    before: Share = field(default_factory=Share)
    after: Share = field(default_factory=Share)
    #: people who took both: how many, and their correct answers before and after
    paired: int = 0
    paired_before: int = 0
    paired_after: int = 0
    #: the answers behind the paired figures (before and after each hold this many)
    paired_answers: int = 0

    @property
    def points(self) -> int | None:
        """The paired gain in percentage points (after minus before), rounded half away from zero."""
        if not self.paired_answers:
            return None
        return display_percent(Fraction((self.paired_after - self.paired_before) * 100, self.paired_answers))


@dataclass
class PersonGain:
    participant_id: int
    name: str
    email: str
    country: str
    agency: str
    before: CourseTest | None
    after: CourseTest | None

    @staticmethod
    def _percent(check: CourseTest | None) -> int | None:
        if check is None or not check.total:
            return None
        return display_percent(Fraction((check.correct or 0) * 100, check.total))

    @property
    def before_percent(self) -> int | None:
        return self._percent(self.before)

    @property
    def after_percent(self) -> int | None:
        return self._percent(self.after)

    @property
    def points(self) -> int | None:
        if self.before_percent is None or self.after_percent is None:
            return None
        return self.after_percent - self.before_percent


@dataclass
class GainReport:
    #: country -> (module id, objective) -> Gain; ALL for every country
    objectives: dict[str, dict[tuple[str, int], Gain]]
    #: country -> Gain over all the objectives (shares of answers; n people)
    countries: dict[str, Gain]
    agencies: dict[str, Gain]
    people: list[PersonGain]
    skipped_before: int = 0
    skipped_after: int = 0

    @property
    def country_keys(self) -> list[str]:
        """Countries with figures, by code, then all countries together."""
        return sorted(k for k in self.countries if k != ALL) + ([ALL] if self.countries else [])

    def objective_keys(self) -> list[tuple[str, int]]:
        return sorted(self.objectives.get(ALL, {}))


def _checks(course_ids: Iterable[int]) -> list[tuple[CourseTest, str, str]]:
    query = (select(CourseTest, Participant.name, Participant.email)
             .join(Participant, Participant.id == CourseTest.participant_id)
             .where(CourseTest.course_id.in_(list(course_ids)),
                    learner_condition(CourseTest.course_id, CourseTest.participant_id))
             .order_by(Participant.name, CourseTest.participant_id, CourseTest.id))
    return [(check, name or "", email or "") for check, name, email in db.session.execute(query)]


def gain_report(course_ids: Iterable[int]) -> GainReport:
    """The figures for some courses (a course's facilitator: one; an admin: every course of an LMS)."""
    people: dict[tuple[int, int], PersonGain] = {}
    skipped = {PRE: 0, POST: 0}
    for check, name, email in _checks(course_ids):
        if check.skipped_at is not None:
            skipped[check.kind] += 1
        if check.submitted_at is None:
            continue
        key = (check.course_id, check.participant_id)
        person = people.setdefault(key, PersonGain(check.participant_id, name or f"user {check.participant_id}",
                                                   email, "", "", None, None))
        if check.kind == PRE:
            person.before = check
        else:
            person.after = check
        # the person counts where their latest check counts
        person.country, person.agency = check.country or "", check.agency or ""

    objectives: dict[str, dict[tuple[str, int], Gain]] = defaultdict(dict)
    countries: dict[str, Gain] = {}
    agencies: dict[str, Gain] = {}
    for person in people.values():
        for check, side in ((person.before, "before"), (person.after, "after")):
            if check is None:
                continue
            where = check.country or ""
            for group in (countries.setdefault(where, Gain()), countries.setdefault(ALL, Gain()),
                          agencies.setdefault(check.agency or "", Gain())):
                getattr(group, side).add(check.correct or 0, check.total or 0)
            for r in check.results or ():
                at = (r["module"], int(r["objective"]))
                for country in (where, ALL):
                    getattr(objectives[country].setdefault(at, Gain()), side).add(int(bool(r["correct"])))
        if person.before is not None and person.after is not None:
            _pair(person, objectives, countries, agencies)
    return GainReport(dict(objectives), countries, agencies, sorted(people.values(), key=lambda p: p.name),
                      skipped[PRE], skipped[POST])


def _pair(person: PersonGain, objectives: dict, countries: dict, agencies: dict) -> None:
    """Add one person who took both checks to the paired figures, under the country of the check after."""
    before, after = person.before, person.after
    assert before is not None and after is not None
    where = after.country or ""
    known_before = {(r["module"], int(r["objective"])): bool(r["correct"]) for r in before.results or ()}
    for r in after.results or ():
        at = (r["module"], int(r["objective"]))
        if at not in known_before:
            continue
        for country in (where, ALL):
            gain = objectives[country].setdefault(at, Gain())
            gain.paired += 1
            gain.paired_answers += 1
            gain.paired_before += known_before[at]
            gain.paired_after += bool(r["correct"])
    # a whole check: the objectives both papers hold (a module added later is not in the check before)
    common = [r for r in after.results or () if (r["module"], int(r["objective"])) in known_before]
    for group in (countries.setdefault(where, Gain()), countries.setdefault(ALL, Gain()),
                  agencies.setdefault(after.agency or "", Gain())):
        group.paired += 1
        group.paired_answers += len(common)
        group.paired_before += sum(known_before[(r["module"], int(r["objective"]))] for r in common)
        group.paired_after += sum(bool(r["correct"]) for r in common)
