"""What a learner who has not read the module scores: blind chance, and the usual test-taking tricks.

A pass must mean the official learned the module. These strategies answer without reading and are
scored by the real scoring rules over many drawn papers, so a writer (or `bench/guessing.py`) can see
whether a quiz gives its answers away:

- **chance**: every answer uniformly at random;
- **test-wise**: the longest option of a single-choice question; in a multiple-response question
  the longer half of the options; "false" for a true/false statement with an absolute word
  ("always", "only", ...) and "true" otherwise; matching and ordering at random.
"""
from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from lti_tool.content.quality import ABSOLUTE
from lti_tool.content.quiz import QuizContent, QuizQuestion
from lti_tool.content.schema import QuestionType

from .answers import Answers, Given
from .paper import draw_paper
from .scoring import score

Strategy = Callable[[QuizQuestion, random.Random], Given]


def guess_at_random(q: QuizQuestion, rng: random.Random) -> Given:
    """A uniformly random answer of the right shape."""
    if q.type is QuestionType.SINGLE:
        return rng.choice(q.options).id
    if q.type is QuestionType.MULTIPLE:
        picked = tuple(o.id for o in q.options if rng.random() < 0.5)
        return picked or (rng.choice(q.options).id,)
    if q.type is QuestionType.TRUE_FALSE:
        return rng.random() < 0.5
    if q.type is QuestionType.MATCHING:
        rights = [p.id for p in q.pairs]
        rng.shuffle(rights)
        return dict(zip((p.id for p in q.pairs), rights, strict=True))
    positions = list(range(1, len(q.items) + 1))
    rng.shuffle(positions)
    return dict(zip((i.id for i in q.items), positions, strict=True))


def guess_from_clues(q: QuizQuestion, rng: random.Random) -> Given:
    """The clues test-wise learners use when they do not know the answer."""
    if q.type is QuestionType.SINGLE:
        longest = max(len(o.text) for o in q.options)
        return rng.choice([o.id for o in q.options if len(o.text) == longest])
    if q.type is QuestionType.MULTIPLE:
        by_length = sorted(q.options, key=lambda o: (len(o.text), rng.random()), reverse=True)
        return tuple(o.id for o in by_length[:max(1, (len(by_length) + 1) // 2)])
    if q.type is QuestionType.TRUE_FALSE:
        return not ABSOLUTE.search(q.prompt)
    return guess_at_random(q, rng)


STRATEGIES: dict[str, Strategy] = {"chance": guess_at_random, "test-wise": guess_from_clues}


@dataclass(frozen=True)
class Expectation:
    """A strategy's scores over `papers` drawn papers of one quiz."""

    strategy: str
    papers: int
    mean_percent: float
    pass_rate: float        # share of papers that reach the pass mark


def expected_scores(quiz: QuizContent, pass_mark: int, *, papers: int = 400,
                    seed: int = 1) -> list[Expectation]:
    """Each strategy's mean score and pass rate over the same drawn papers."""
    rng = random.Random(seed)
    results = []
    for name, strategy in STRATEGIES.items():
        percents = []
        for n in range(papers):
            paper = draw_paper(quiz, seed * 100_003 + n)
            answers = Answers({pq.id: strategy(quiz.question(pq.id), rng) for pq in paper.questions})
            percents.append(float(score(quiz, paper, answers, pass_mark).percent))
        results.append(Expectation(name, papers, statistics.fmean(percents),
                                   sum(p >= pass_mark for p in percents) / papers))
    return results
