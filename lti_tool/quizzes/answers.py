"""Turn a submitted quiz form (plain HTML, no JavaScript needed) into answers in content ids."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lti_tool.content.quiz import QuizContent, QuizQuestion
from lti_tool.content.schema import QuestionType

from .paper import Paper, PaperQuestion, field_name, resolve

#: single: option id; multiple: option ids; true_false: bool;
#: matching: left pair id -> chosen pair id; ordering: item id -> position (1-based)
Given = str | tuple[str, ...] | bool | dict[str, str] | dict[str, int]


class AnswerError(ValueError):
    """A submitted form that no honest browser sends for this paper; `number` is the question shown."""

    def __init__(self, code: str, qid: str | None, number: int | None, detail: str):
        where = f"Question {number}" if number else "The form"
        super().__init__(f"{where}: {detail}")
        #: unknown_question | unknown_option | too_many | out_of_range | duplicate_position
        self.code = code
        self.qid = qid
        self.number = number
        self.detail = detail


@dataclass(frozen=True)
class Answers:
    """The learner's answers by question id; unanswered questions are absent."""

    given: Mapping[str, Given] = field(default_factory=dict)

    def get(self, qid: str) -> Given | None:
        return self.given.get(qid)

    def to_json(self) -> str:
        return json.dumps({qid: list(v) if isinstance(v, tuple) else v
                           for qid, v in self.given.items()}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Answers:
        data: dict[str, Any] = json.loads(text)
        return cls({qid: tuple(v) if isinstance(v, list) else v for qid, v in data.items()})


def parse_answers(quiz: QuizContent, paper: Paper, form: Mapping[str, list[str]]) -> Answers:
    """Read the `q-...` fields of a submitted form; raise AnswerError on anything out of place.

    `form` maps a field to its values, e.g. `request.form.to_dict(flat=False)`; a werkzeug
    MultiDict is read through its `getlist` too.
    """
    getlist = getattr(form, "getlist", None)
    fields = {k: list(getlist(k)) if getlist else ([v] if isinstance(v, str) else list(v))
              for k, v in form.items() if k.startswith("q-")}
    given: dict[str, Given] = {}
    for number, pq in enumerate(paper.questions, 1):
        q = resolve(quiz, pq)
        value = _PARSERS[q.type](q, pq, number, fields)
        if value is not None:
            given[q.id] = value
    if fields:
        name = sorted(fields)[0]
        qid, number = _owner(paper, name)
        raise AnswerError("unknown_question" if qid is None else "unknown_option", qid, number,
                          f"unexpected form field {name!r}")
    return Answers(given)


def _values(fields: dict[str, list[str]], name: str) -> list[str]:
    # blank values come from a select left at its placeholder: the same as no answer
    return [v.strip() for v in fields.pop(name, []) if v.strip()]


def _one(fields: dict[str, list[str]], name: str, qid: str, number: int) -> str | None:
    values = _values(fields, name)
    if len(set(values)) > 1:
        raise AnswerError("too_many", qid, number, "choose only one answer")
    return values[0] if values else None


def _position(value: str, count: int, qid: str, number: int) -> int:
    if not value.isdigit() or not 1 <= int(value) <= count:
        raise AnswerError("out_of_range", qid, number, f"{value!r} is not a choice from 1 to {count}")
    return int(value)


def _single(q: QuizQuestion, pq: PaperQuestion, number: int,
            fields: dict[str, list[str]]) -> Given | None:
    value = _one(fields, field_name(q.id), q.id, number)
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= len(pq.options):
        raise AnswerError("unknown_option", q.id, number, f"unknown option {value!r}")
    return pq.options[int(value) - 1]


def _multiple(q: QuizQuestion, pq: PaperQuestion, number: int,
            fields: dict[str, list[str]]) -> Given | None:
    chosen: set[int] = set()
    for value in _values(fields, field_name(q.id)):
        if not value.isdigit() or not 1 <= int(value) <= len(pq.options):
            raise AnswerError("unknown_option", q.id, number, f"unknown option {value!r}")
        chosen.add(int(value))
    return tuple(pq.options[n - 1] for n in sorted(chosen)) or None


def _true_false(q: QuizQuestion, pq: PaperQuestion, number: int,
            fields: dict[str, list[str]]) -> Given | None:
    value = _one(fields, field_name(q.id), q.id, number)
    if value is None:
        return None
    if value not in ("true", "false"):
        raise AnswerError("unknown_option", q.id, number, f"answer {value!r} is not true or false")
    return value == "true"


def _matching(q: QuizQuestion, pq: PaperQuestion, number: int,
            fields: dict[str, list[str]]) -> Given | None:
    chosen: dict[str, str] = {}
    for row, left in enumerate(pq.left, 1):
        value = _one(fields, field_name(q.id, row), q.id, number)
        if value is not None:
            chosen[left] = pq.right[_position(value, len(pq.right), q.id, number) - 1]
    return chosen or None


def _ordering(q: QuizQuestion, pq: PaperQuestion, number: int,
            fields: dict[str, list[str]]) -> Given | None:
    placed: dict[str, int] = {}
    for row, item in enumerate(pq.items, 1):
        value = _one(fields, field_name(q.id, row), q.id, number)
        if value is not None:
            placed[item] = _position(value, len(pq.items), q.id, number)
    positions = list(placed.values())
    if len(set(positions)) != len(positions):
        twice = sorted({p for p in positions if positions.count(p) > 1})
        raise AnswerError("duplicate_position", q.id, number,
                          f"position {', '.join(map(str, twice))} is given to more than one item")
    return placed or None


_PARSERS = {
    QuestionType.SINGLE: _single,
    QuestionType.MULTIPLE: _multiple,
    QuestionType.TRUE_FALSE: _true_false,
    QuestionType.MATCHING: _matching,
    QuestionType.ORDERING: _ordering,
}


def _owner(paper: Paper, name: str) -> tuple[str | None, int | None]:
    """The paper question an unexpected field seems to belong to, for a useful message."""
    best: tuple[str | None, int | None] = (None, None)
    for number, pq in enumerate(paper.questions, 1):
        base = field_name(pq.id)
        if (name == base or name.startswith(base + "-")) and len(pq.id) > len(best[0] or ""):
            best = (pq.id, number)
    return best


def form_values(paper: Paper, answers: Answers) -> list[tuple[str, str]]:
    """The form fields (screen positions) that show `answers` on this paper: the inverse of
    `parse_answers`, used to put saved answers back into the quiz form."""
    fields: list[tuple[str, str]] = []
    for pq in paper.questions:
        given = answers.get(pq.id)
        if given is None:
            continue
        name = field_name(pq.id)
        if isinstance(given, bool):
            fields.append((name, "true" if given else "false"))
        elif isinstance(given, str):
            if given in pq.options:
                fields.append((name, str(pq.options.index(given) + 1)))
        elif isinstance(given, (tuple, list)):
            fields += [(name, str(pq.options.index(o) + 1)) for o in given if o in pq.options]
        elif isinstance(given, dict) and pq.left:
            for row, left in enumerate(pq.left, 1):
                chosen = given.get(left)
                if chosen in pq.right:
                    fields.append((field_name(pq.id, row), str(pq.right.index(chosen) + 1)))
        elif isinstance(given, dict) and pq.items:
            for row, item in enumerate(pq.items, 1):
                at = given.get(item)
                if isinstance(at, int) and 1 <= at <= len(pq.items):
                    fields.append((field_name(pq.id, row), str(at)))
    return fields
