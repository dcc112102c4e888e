"""Score an attempt with exact fractions, following the rules in modules/README.md."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor

from lti_tool.content.quiz import QuizContent, QuizQuestion
from lti_tool.content.schema import QuestionType

from .answers import Answers, Given
from .paper import Paper, resolve


@dataclass(frozen=True)
class QuestionResult:
    """One question's outcome; `expected` is the right answer in the same shape as `given`."""

    qid: str
    number: int
    earned: Fraction
    max: int
    correct: bool                 # full marks
    given: Given | None
    expected: Given
    feedback: list[str]
    explanation: str


@dataclass(frozen=True)
class ScoreResult:
    """An attempt's score; `percent` is exact, `percent_display` is for people."""

    points: Fraction
    max_points: int
    percent: Fraction
    pass_mark: int
    passed: bool
    questions: list[QuestionResult]

    @property
    def percent_display(self) -> int:
        """Whole percent, rounded down so a shown pass mark is never a hidden fail."""
        return floor(self.percent)

    @property
    def score_given(self) -> float:
        """Points as a float, for the LTI gradebook (scoreGiven out of max_points)."""
        return float(self.points)


def score(quiz: QuizContent, paper: Paper, answers: Answers, pass_mark: int) -> ScoreResult:
    """Score the paper's questions; the percentage is points earned over points on the paper."""
    results = []
    for number, pq in enumerate(paper.questions, 1):
        q = resolve(quiz, pq)
        given = answers.get(q.id)
        share = _SHARE[q.type](q, given) if given is not None else Fraction(0)
        earned = q.points * share
        results.append(QuestionResult(
            qid=q.id, number=number, earned=earned, max=q.points, correct=earned == q.points,
            given=given, expected=_expected(q), feedback=_feedback(q, given),
            explanation=q.explanation))
    points = sum((r.earned for r in results), Fraction(0))
    max_points = sum(r.max for r in results)
    percent = points * 100 / max_points if max_points else Fraction(0)
    return ScoreResult(points, max_points, percent, pass_mark, percent >= pass_mark, results)


def _single(q: QuizQuestion, given: Given) -> Fraction:
    choice = q.choice(given) if isinstance(given, str) else None
    return Fraction(1 if choice and choice.correct else 0)


def _multiple(q: QuizQuestion, given: Given) -> Fraction:
    # (correct picks - wrong picks) / correct options, never below zero
    picked = set(given) if isinstance(given, tuple) else set()
    right = {o.id for o in q.options if o.correct}
    return max(Fraction(0), Fraction(len(picked & right) - len(picked - right), len(right)))


def _true_false(q: QuizQuestion, given: Given) -> Fraction:
    return Fraction(1 if given is q.answer else 0)


def _matching(q: QuizQuestion, given: Given) -> Fraction:
    chosen = given if isinstance(given, dict) else {}
    return Fraction(sum(chosen.get(p.id) == p.id for p in q.pairs), len(q.pairs))


def _ordering(q: QuizQuestion, given: Given) -> Fraction:
    placed = given if isinstance(given, dict) else {}
    return Fraction(sum(placed.get(i.id) == n for n, i in enumerate(q.items, 1)), len(q.items))


_SHARE = {
    QuestionType.SINGLE: _single,
    QuestionType.MULTIPLE: _multiple,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
}


def _expected(q: QuizQuestion) -> Given:
    if q.type is QuestionType.SINGLE:
        return next(o.id for o in q.options if o.correct)
    if q.type is QuestionType.MULTIPLE:
        return tuple(o.id for o in q.options if o.correct)
    if q.type is QuestionType.TRUE_FALSE:
        return bool(q.answer)
    if q.type is QuestionType.MATCHING:
        return {p.id: p.id for p in q.pairs}
    return {i.id: n for n, i in enumerate(q.items, 1)}


def _feedback(q: QuizQuestion, given: Given | None) -> list[str]:
    if given is None:
        return []
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        ids = (given,) if isinstance(given, str) else tuple(given)
        order = [o.id for o in q.options]
        chosen = sorted((q.choice(i) for i in ids if q.choice(i)), key=lambda o: order.index(o.id))
        return [o.feedback for o in chosen if o.feedback]
    if q.type is QuestionType.TRUE_FALSE:
        text = q.feedback_true if given is True else q.feedback_false
        return [text] if text else []
    return []
