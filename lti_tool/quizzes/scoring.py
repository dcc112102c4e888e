"""Score an attempt with exact fractions, following the rules in modules/README.md."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import combinations

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
        """Whole percent for people (see `display_percent`)."""
        return display_percent(self.percent, self.pass_mark)

    @property
    def score_given(self) -> float:
        """Points as a float, for the LTI gradebook (scoreGiven out of max_points)."""
        return float(self.points)


def display_percent(percent: Fraction | float, pass_mark: int | None = None) -> int:
    """A percentage as people read it: rounded half up (15.83 % is 16 %, 84.5 % is 85 %).

    Only below the pass mark is a rounding held back: 69.6 % that did not pass shows as 69 %, so
    a shown pass mark is never a hidden fail. The result page, the dashboard and the gradebook
    comment all use this one function, so they show the same figure.
    """
    exact = Fraction(percent)
    quotient = Decimal(exact.numerator) / Decimal(exact.denominator)
    shown = int(quotient.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if pass_mark is not None and exact < pass_mark <= shown:
        return pass_mark - 1
    return shown


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
    # right picks / correct options - wrong picks / wrong options, never below zero:
    # ticking every box scores 0, however many options are right
    picked = set(given) if isinstance(given, tuple) else set()
    right = {o.id for o in q.options if o.correct}
    wrong = {o.id for o in q.options} - right
    earned = Fraction(len(picked & right), len(right))
    if wrong:
        earned -= Fraction(len(picked & wrong), len(wrong))
    return max(Fraction(0), earned)


def _true_false(q: QuizQuestion, given: Given) -> Fraction:
    return Fraction(1 if given is q.answer else 0)


def _matching(q: QuizQuestion, given: Given) -> Fraction:
    chosen = given if isinstance(given, dict) else {}
    return Fraction(sum(chosen.get(p.id) == p.id for p in q.pairs), len(q.pairs))


def _ordering(q: QuizQuestion, given: Given) -> Fraction:
    # the share of pairs of items placed in the right relative order (an item left unplaced
    # gets none of its pairs): one stage out of place costs a few pairs, not every position
    placed = given if isinstance(given, dict) else {}
    pairs = list(combinations([i.id for i in q.items], 2))   # (earlier, later) in the right order
    right = sum(1 for a, b in pairs
                if isinstance(placed.get(a), int) and isinstance(placed.get(b), int)
                and placed[a] < placed[b])
    return Fraction(right, len(pairs))


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
