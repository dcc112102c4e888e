"""An attempt's paper: which questions, in which order, drawn once from a seed and stored.

The browser only ever sees display positions ("1", "2", ...) as form values: content ids such as
`a` or `p1` often reveal the answer (writers put the right option first, number items in order).
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from collections.abc import Collection
from typing import Any

from lti_tool.content.quiz import QuizContent, QuizQuestion
from lti_tool.content.schema import QuestionType

PAPER_VERSION = 1


class StalePaper(ValueError):
    """The quiz changed since this paper was drawn (a question or option id is gone)."""


@dataclass(frozen=True)
class PaperQuestion:
    """Display order of one question's parts, as content ids."""

    id: str
    options: tuple[str, ...] = ()   # single / multiple: option ids as shown
    left: tuple[str, ...] = ()      # matching: pair ids of the left-hand rows as shown
    right: tuple[str, ...] = ()     # matching: pair ids of the right-hand texts as shown
    items: tuple[str, ...] = ()     # ordering: item ids as shown (never the correct order)


@dataclass(frozen=True)
class Paper:
    """The questions of one attempt; JSON-serialisable so it is stored with the attempt."""

    seed: int
    questions: tuple[PaperQuestion, ...]

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]

    def to_dict(self) -> dict[str, Any]:
        return {"version": PAPER_VERSION, "seed": self.seed,
                "questions": [{k: list(v) if isinstance(v, tuple) else v
                               for k, v in asdict(q).items() if v} for q in self.questions]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        if data.get("version") != PAPER_VERSION:
            raise StalePaper(f"unsupported paper version {data.get('version')!r}")
        return cls(int(data["seed"]), tuple(
            PaperQuestion(q["id"], *(tuple(q.get(k, ())) for k in ("options", "left", "right", "items")))
            for q in data["questions"]))

    @classmethod
    def from_json(cls, text: str) -> Paper:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class OptionView:
    """A choice the learner can pick; `value` is what the form sends back."""

    value: str
    text: str
    label: str   # "A", "B", ... for options and right-hand texts; "1", "2", ... for positions


@dataclass(frozen=True)
class RowView:
    """A matching row (left-hand text) or an item to place, each with its own form field."""

    field: str
    text: str


@dataclass(frozen=True)
class QuestionView:
    """What a template needs to show one question; holds no answer and no feedback."""

    qid: str
    number: int
    type: QuestionType
    prompt: str
    points: int
    #: form field: single/true_false one value, multiple repeated values; matching/ordering use rows
    field: str
    #: single/multiple: the options; true_false: "true"/"false"; matching: right-hand texts;
    #: ordering: positions 1..n
    options: tuple[OptionView, ...]
    rows: tuple[RowView, ...] = ()


def draw_paper(quiz: QuizContent, seed: int, seen: Collection[str] = ()) -> Paper:
    """Draw and order an attempt's questions; the same quiz, seed and `seen` always give the same paper.

    When the quiz draws from a pool, every module objective its questions are tagged with gets at
    least one question, and the rest is filled at random. `seen` holds the ids of the questions the
    learner had in earlier attempts: unseen questions are preferred at each step, so a later attempt
    repeats a question only when the pool has run out of new ones.
    """
    rng = random.Random(seed)
    indexes = list(range(len(quiz.questions)))
    if quiz.size < len(indexes):
        indexes = _pick(quiz.questions, quiz.size, frozenset(seen), rng)
        if not quiz.shuffle:
            indexes.sort()
        else:
            rng.shuffle(indexes)
    elif quiz.shuffle:
        rng.shuffle(indexes)
    return Paper(seed, tuple(_paper_question(quiz.questions[i], quiz.shuffle, rng) for i in indexes))


def _pick(questions: tuple[QuizQuestion, ...], size: int, seen: frozenset[str], rng: random.Random) -> list[int]:
    """`size` question indexes: one per tagged objective first, then any; unseen ones before seen ones."""
    def fresh_first(candidates: list[int]) -> list[int]:
        candidates = list(candidates)
        rng.shuffle(candidates)
        return sorted(candidates, key=lambda i: questions[i].id in seen)   # stable: random within each group

    by_objective: dict[int, list[int]] = {}
    for i, q in enumerate(questions):
        if q.objective is not None:
            by_objective.setdefault(q.objective, []).append(i)
    objectives = sorted(by_objective)
    rng.shuffle(objectives)   # only matters when there are more objectives than questions to draw
    chosen: list[int] = [fresh_first(by_objective[o])[0] for o in objectives[:size]]
    taken = set(chosen)
    chosen += fresh_first([i for i in range(len(questions)) if i not in taken])[:size - len(chosen)]
    return chosen


def _paper_question(q: QuizQuestion, shuffle: bool, rng: random.Random) -> PaperQuestion:
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        options = [o.id for o in q.options]
        if shuffle:
            rng.shuffle(options)
        return PaperQuestion(q.id, options=tuple(options))
    if q.type is QuestionType.MATCHING:
        ids = [p.id for p in q.pairs]
        return PaperQuestion(q.id, left=tuple(ids), right=_scrambled(ids, rng))
    if q.type is QuestionType.ORDERING:
        return PaperQuestion(q.id, items=_scrambled([i.id for i in q.items], rng))
    return PaperQuestion(q.id)


def _scrambled(ids: list[str], rng: random.Random) -> tuple[str, ...]:
    # Always shuffled, whatever `shuffle` says: shown in file order these questions answer themselves.
    order = list(ids)
    for _ in range(10):
        rng.shuffle(order)
        if order != ids or len(ids) < 2:
            return tuple(order)
    return tuple(ids[1:] + ids[:1])


def resolve(quiz: QuizContent, pq: PaperQuestion) -> QuizQuestion:
    """The quiz question behind a paper question; StalePaper when the content no longer fits."""
    q = quiz.question(pq.id)
    if q is None:
        raise StalePaper(f"question {pq.id!r} is no longer in the quiz")
    expected = {
        QuestionType.SINGLE: (pq.options, [o.id for o in q.options]),
        QuestionType.MULTIPLE: (pq.options, [o.id for o in q.options]),
        QuestionType.MATCHING: (pq.right, [p.id for p in q.pairs]),
        QuestionType.ORDERING: (pq.items, [i.id for i in q.items]),
    }.get(q.type)
    if expected and sorted(expected[0]) != sorted(expected[1]):
        raise StalePaper(f"the options of question {pq.id!r} changed")
    if q.type is QuestionType.MATCHING and sorted(pq.left) != sorted(pq.right):
        raise StalePaper(f"the pairs of question {pq.id!r} changed")
    return q


def field_name(qid: str, row: int | None = None) -> str:
    """Form field of a question (`q-<qid>`) or of one of its rows (`q-<qid>-<n>`, n from 1)."""
    return f"q-{qid}" if row is None else f"q-{qid}-{row}"


def paper_view(quiz: QuizContent, paper: Paper) -> list[QuestionView]:
    """The paper's questions in display order, text from `quiz`, with no correctness data."""
    return [_view(resolve(quiz, pq), pq, number) for number, pq in enumerate(paper.questions, 1)]


def _view(q: QuizQuestion, pq: PaperQuestion, number: int) -> QuestionView:
    common = dict(qid=q.id, number=number, type=q.type, prompt=q.prompt, points=q.points,
                  field=field_name(q.id))
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        text = {o.id: o.text for o in q.options}
        return QuestionView(**common, options=tuple(
            OptionView(str(n), text[oid], _letter(n)) for n, oid in enumerate(pq.options, 1)))
    if q.type is QuestionType.TRUE_FALSE:
        return QuestionView(**common, options=(OptionView("true", "True", "A"),
                                               OptionView("false", "False", "B")))
    if q.type is QuestionType.MATCHING:
        pairs = {p.id: p for p in q.pairs}
        return QuestionView(
            **common,
            options=tuple(OptionView(str(n), pairs[pid].right, _letter(n))
                          for n, pid in enumerate(pq.right, 1)),
            rows=tuple(RowView(field_name(q.id, n), pairs[pid].left)
                       for n, pid in enumerate(pq.left, 1)))
    items = {i.id: i.text for i in q.items}
    return QuestionView(
        **common,
        options=tuple(OptionView(str(n), str(n), str(n)) for n in range(1, len(pq.items) + 1)),
        rows=tuple(RowView(field_name(q.id, n), items[iid]) for n, iid in enumerate(pq.items, 1)))


def _letter(n: int) -> str:
    return chr(ord("A") + n - 1) if n <= 26 else str(n)
