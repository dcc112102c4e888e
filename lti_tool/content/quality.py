"""Quality warnings for a module's quiz and metadata: the clues a test-wise learner uses.

A quiz is an assessment: a pass should mean the official learned the module, not that they spotted
the longest option or an "always" in a false statement. These rules look for the clues that can be
seen in the text; they warn (writers decide), while `quizcheck.py` reports errors (the app refuses).
The thresholds are documented in modules/README.md.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .problems import Problem
from .schema import (
    AnyQuestion,
    MatchingQuestion,
    MultipleQuestion,
    OrderingQuestion,
    QuestionKind,
    QuizFile,
    SingleQuestion,
    TrueFalseQuestion,
)
from .yamlsrc import Source

MIN_POOL = 25
MIN_APPLICATION_SHARE = 0.5
#: the keyed option is this many times longer than the longest distractor
LENGTH_OUTLIER = 1.25
#: share of single-choice questions whose key is the longest (or shortest) option
LENGTH_POOL_SHARE = 0.4
MIN_WRONG_OPTIONS = 2

READING_WORDS_PER_MINUTE = 180
MINUTES_PER_QUESTION = 1.0
EXTRA_MINUTES_PER_APPLICATION = 1.0
MINUTES_PER_PRACTICE = 3
MINUTES_TOLERANCE = 0.15

ABSOLUTE = re.compile(
    r"\b(always|never|only|all|none|every|everyone|everything|no one|nobody|nothing|entirely|"
    r"completely|automatically|in all cases|under no circumstances|without exception)\b",
    re.IGNORECASE,
)
CATCH_ALL = re.compile(r"\b(all|none|both|neither) of the (above|options|answers)\b", re.IGNORECASE)
NUMBER_ALONE = re.compile(
    r"^[\W_]*(?:(?:gcm|sdg|un)\s+)?(?:objectives?|targets?|goals?|articles?|art\.|resolution|"
    r"chapter|principle|level|stage)?\s*[\d.,/\-– ]+[a-z]?[\W_]*$"
    r"|^[\W_]*(?:\d{1,2}\s+)?(?:january|february|march|april|may|june|july|august|september|"
    r"october|november|december)?\s*\d{4}[\W_]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ModuleFacts:
    """What the warnings need to know about a module besides its quiz."""

    objectives: int
    declared_minutes: int | None
    reviewed: bool
    words: int          # English page words
    practice: int       # English pages with an "In practice" section


def quiz_warnings(src: Source, quiz: QuizFile, facts: ModuleFacts) -> list[Problem]:
    """Every clue and gap the rules can see in a complete module's English quiz."""
    warnings: list[Problem] = []
    qs = list(enumerate(quiz.questions))
    if len(quiz.questions) < MIN_POOL:
        warnings.append(_warn(src, ("questions",), f"the pool has {len(quiz.questions)} questions; "
                                                   f"at least {MIN_POOL} keep later attempts from "
                                                   f"repeating the first"))
    untagged = [q.id for _, q in qs if q.objective is None]
    if untagged:
        warnings.append(_warn(src, ("questions",), f"no objective tag on {_ids(untagged)}"))
    tagged = {q.objective for _, q in qs if q.objective is not None}
    for n in range(1, facts.objectives + 1):
        if tagged and n not in tagged:
            warnings.append(_warn(src, ("questions",), f"no question assesses objective {n}"))
    applied = sum(q.kind is QuestionKind.APPLICATION for _, q in qs)
    if qs and applied < MIN_APPLICATION_SHARE * len(qs):
        warnings.append(_warn(src, ("questions",), f"{applied} of {len(qs)} questions are "
                                                   f"application items; at least half should be"))
    warnings += _length_cues(src, [(i, q) for i, q in qs if isinstance(q, SingleQuestion)])
    for i, q in qs:
        warnings += _question_warnings(src, ("questions", i), q)
    warnings += _minutes(src, quiz, facts)
    return warnings


def _question_warnings(src: Source, loc: tuple, q: AnyQuestion) -> list[Problem]:
    found = []
    if isinstance(q, MultipleQuestion):
        right = [o for o in q.options if o.correct]
        wrong = [o for o in q.options if not o.correct]
        if len(wrong) < MIN_WRONG_OPTIONS:
            found.append(_warn(src, loc, f"{q.id}: a multiple-response question needs at least "
                                         f"{MIN_WRONG_OPTIONS} wrong options, found {len(wrong)}"))
        elif _mean(len(o.text) for o in right) > LENGTH_OUTLIER * _mean(len(o.text) for o in wrong):
            found.append(_warn(src, loc, f"{q.id}: the correct options are much longer than the "
                                         f"wrong ones"))
    if isinstance(q, (SingleQuestion, MultipleQuestion)):
        if any(CATCH_ALL.search(o.text) for o in q.options):
            found.append(_warn(src, loc, f"{q.id}: 'all/none of the above' options are a clue; "
                                         f"write real options"))
        keys = [o for o in q.options if o.correct]
        if keys and all(NUMBER_ALONE.match(o.text) for o in keys):
            found.append(_warn(src, loc, f"{q.id}: the answer is a number or a date alone; ask "
                                         f"what the official would do with it"))
    if isinstance(q, TrueFalseQuestion) and not q.answer:
        word = ABSOLUTE.search(q.prompt)
        if word:
            found.append(_warn(src, loc, f"{q.id}: a false statement with '{word.group(0)}' gives "
                                         f"itself away; make it false on its substance"))
    return found


def _length_cues(src: Source, singles: Sequence[tuple[int, SingleQuestion]]) -> list[Problem]:
    found = []
    longest = shortest = 0
    for i, q in singles:
        key = next(o for o in q.options if o.correct)
        others = [len(o.text) for o in q.options if not o.correct]
        if not others:
            continue
        if len(key.text) > max(others):
            longest += 1
            if len(key.text) > LENGTH_OUTLIER * max(others):
                found.append(_warn(src, ("questions", i), f"{q.id}: the correct option is much "
                                                          f"longer than the others ({len(key.text)} "
                                                          f"characters, the next {max(others)})"))
        elif len(key.text) < min(others):
            shortest += 1
    if len(singles) >= 5:
        for count, what in ((longest, "longest"), (shortest, "shortest")):
            if count > LENGTH_POOL_SHARE * len(singles):
                found.append(_warn(src, ("questions",), f"the correct option is the {what} in "
                                                        f"{count} of {len(singles)} single-choice "
                                                        f"questions"))
    return found


def estimated_minutes(quiz: QuizFile, facts: ModuleFacts) -> int:
    """Reading at 180 words a minute, the drawn questions, and the "In practice" prompts, to 5 min."""
    pool = len(quiz.questions)
    drawn = min(quiz.draw or pool, pool)
    applied = sum(q.kind is QuestionKind.APPLICATION for q in quiz.questions)
    quiz_minutes = drawn * (MINUTES_PER_QUESTION + EXTRA_MINUTES_PER_APPLICATION * applied / max(pool, 1))
    total = facts.words / READING_WORDS_PER_MINUTE + quiz_minutes + MINUTES_PER_PRACTICE * facts.practice
    return max(5, 5 * round(total / 5))


def _minutes(src: Source, quiz: QuizFile, facts: ModuleFacts) -> list[Problem]:
    found = []
    if not facts.reviewed:
        found.append(Problem(src.file.parent.parent / "module.yaml", 1,
                             "no 'reviewed:' date: record the day the facts were last checked",
                             warning=True))
    if facts.declared_minutes is None:
        return found
    estimate = estimated_minutes(quiz, facts)
    if abs(facts.declared_minutes - estimate) > max(5, MINUTES_TOLERANCE * estimate):
        found.append(Problem(src.file.parent.parent / "module.yaml", 1,
                             f"minutes is {facts.declared_minutes} but the content suggests "
                             f"{estimate} ({facts.words} words at {READING_WORDS_PER_MINUTE} a minute, "
                             f"the quiz, {facts.practice} 'In practice' sections)", warning=True))
    return found


def duplicate_prompts(quizzes: Iterable[tuple[Source, QuizFile]]) -> list[Problem]:
    """The same question asked twice in the curriculum (within or across modules)."""
    seen: dict[str, str] = {}
    found = []
    for src, quiz in quizzes:
        for i, q in enumerate(quiz.questions):
            key = _normalized(q.prompt, *_texts(q))
            where = f"{src.file.parent.parent.name} {q.id}"
            if key in seen:
                found.append(_warn(src, ("questions", i), f"{q.id}: the same question as {seen[key]}"))
            else:
                seen[key] = where
    return found


def _texts(q: AnyQuestion) -> list[str]:
    if isinstance(q, (SingleQuestion, MultipleQuestion)):
        return sorted(o.text for o in q.options)
    if isinstance(q, MatchingQuestion):
        return sorted(p.left + " " + p.right for p in q.pairs)
    if isinstance(q, OrderingQuestion):
        return [i.text for i in q.items]
    return []


def _normalized(*texts: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", " ".join(texts).lower()).split())


def _warn(src: Source, loc: tuple, message: str) -> Problem:
    problem = src.problem(loc, message)
    return Problem(problem.file, problem.line, problem.message, warning=True)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")


def _mean(values: Iterable[int]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else math.nan
