"""Which quiz questions a course's learners miss, by country, and which wrong answer they chose.

Read from submitted attempts of the course's learners only: a facilitator trying the quiz (staff's
own attempts) changes nothing here. An attempt counts for the country its result counts for: the
activity's country when it has one, else the learner's own.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..content import QuestionType
from ..courses.models import Course, Placement
from ..courses.people import PERSON_COUNTRY, learner_condition, with_person
from ..extensions import db
from ..progress.models import Attempt, Progress
from .dashboard import NOT_GIVEN, activity_countries

#: wrong answers listed per question
TOP_WRONG = 3


@dataclass
class CountryMiss:
    drawn: int = 0
    missed: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.missed / self.drawn) if self.drawn else None


@dataclass
class QuestionStat:
    qid: str
    number: int
    prompt: str
    type: QuestionType
    drawn: int = 0
    missed: int = 0
    by_country: dict[str, CountryMiss] = field(default_factory=lambda: defaultdict(CountryMiss))
    #: (answer text, how many chose it) for the wrong answers chosen most
    wrong: list[tuple[str, int]] = field(default_factory=list)

    @property
    def missed_percent(self) -> int | None:
        return round(100 * self.missed / self.drawn) if self.drawn else None


@dataclass
class QuestionReport:
    stats: list[QuestionStat]
    countries: list[str]
    attempts: int


def question_report(course: Course, module: Any, lang: str) -> QuestionReport:
    """Every question of the module's quiz, most missed first, with miss rates per country."""
    quiz = module.quiz(lang)
    if quiz is None:
        return QuestionReport([], [], 0)
    stats = {q.id: QuestionStat(q.id, n, q.prompt, q.type) for n, q in enumerate(quiz.questions, 1)}
    wrong: dict[str, Counter] = defaultdict(Counter)
    activity = activity_countries(course.id).get(module.id)
    placement_country = dict(db.session.execute(select(Placement.id, Placement.country).where(
        Placement.course_id == course.id, Placement.country.is_not(None))).all())
    attempts = 0
    for points, answers, placement_id, person_country in db.session.execute(
            with_person(select(Attempt.question_points, Attempt.answers, Attempt.placement_id, PERSON_COUNTRY)
                        .join(Progress, Progress.id == Attempt.progress_id), Progress.course_id, Progress.participant_id)
            .where(Progress.course_id == course.id, Progress.module_id == module.id,
                   Attempt.submitted_at.is_not(None),
                   learner_condition(Progress.course_id, Progress.participant_id))):
        attempts += 1
        country = placement_country.get(placement_id) or activity or person_country or NOT_GIVEN
        for qid, earned in (points or {}).items():
            stat, question = stats.get(qid), quiz.question(qid)
            if stat is None or question is None:
                continue
            missed = float(earned) < float(question.points)
            stat.drawn += 1
            stat.missed += missed
            stat.by_country[country].drawn += 1
            stat.by_country[country].missed += missed
            if missed:
                wrong[qid].update(_wrong_choices(question, (answers or {}).get(qid)))
    for qid, counter in wrong.items():
        stats[qid].wrong = counter.most_common(TOP_WRONG)
    countries = sorted({c for s in stats.values() for c in s.by_country}, key=lambda c: (c == NOT_GIVEN, c))
    ordered = sorted(stats.values(), key=lambda s: (s.missed_percent is None, -(s.missed_percent or 0), s.number))
    return QuestionReport(ordered, countries, attempts)


def _wrong_choices(question: Any, given: Any) -> list[str]:
    """The wrong answers in one submitted answer, as the learner saw them ("no answer" when blank)."""
    if given is None:
        return [_("(no answer)")]
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        chosen = [given] if isinstance(given, str) else list(given)
        return [c.text for c in (question.choice(oid) for oid in chosen) if c is not None and not c.correct]
    if question.type is QuestionType.TRUE_FALSE:
        return [_("True") if given else _("False")] if bool(given) != question.answer else []
    if question.type is QuestionType.MATCHING and isinstance(given, dict):
        pairs = {p.id: p for p in question.pairs}
        return [f"{pairs[left].left} → {pairs[right].right}" for left, right in given.items()
                if left in pairs and right in pairs and left != right]
    return []  # ordering: a position is not an answer people "choose"
