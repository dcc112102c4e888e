"""Quiz rules a schema cannot express: unique ids, right answers, and translations that mirror en."""
from __future__ import annotations

from contextlib import suppress

from pydantic import TypeAdapter, ValidationError

from .problems import Problem
from .schema import (
    AnyQuestion,
    MatchingQuestion,
    MultipleQuestion,
    OrderingQuestion,
    Question,
    QuestionType,
    QuizFile,
    SingleQuestion,
    TrueFalseQuestion,
)
from .yamlsrc import Source

MIN_QUESTIONS = 10
MIN_TYPES = 3
_TYPES = {t.value for t in QuestionType}


def check_quiz(src: Source, quiz: QuizFile | None) -> list[Problem]:
    """Rules for one quiz file on its own; with an invalid file, for the questions that are valid."""
    questions = list(enumerate(quiz.questions)) if quiz else _valid_questions(src.data)
    data = src.data if isinstance(src.data, dict) else {}
    raw_ids = [(i, q["id"]) for i, q in enumerate(_raw_questions(data))
               if isinstance(q, dict) and isinstance(q.get("id"), str)]
    problems = _duplicates(src, ("questions",), [qid for _, qid in raw_ids], "question id",
                           positions=[i for i, _ in raw_ids])
    draw, total = data.get("draw"), data.get("questions")
    if isinstance(draw, int) and isinstance(total, list) and draw > len(total):
        problems.append(src.problem(("draw",), f"draw is {draw} but there are only "
                                               f"{len(total)} questions"))
    for i, q in questions:
        loc = ("questions", i)
        if isinstance(q, (SingleQuestion, MultipleQuestion)):
            problems += _duplicates(src, (*loc, "options"), [o.id for o in q.options], "option id")
            right = sum(o.correct for o in q.options)
            if isinstance(q, SingleQuestion) and right != 1:
                problems.append(src.problem(loc, f"a single-choice question needs exactly one "
                                                 f"correct option, found {right}"))
            if isinstance(q, MultipleQuestion) and right == 0:
                problems.append(src.problem(loc, "a multiple-choice question needs at least one "
                                                 "correct option"))
        elif isinstance(q, MatchingQuestion):
            problems += _duplicates(src, (*loc, "pairs"), [p.id for p in q.pairs], "pair id")
            problems += _duplicates(src, (*loc, "pairs"), [p.right for p in q.pairs],
                                    "right-hand text", field="right")
            problems += _duplicates(src, (*loc, "pairs"), [p.left for p in q.pairs],
                                    "left-hand text", field="left")
        elif isinstance(q, OrderingQuestion):
            problems += _duplicates(src, (*loc, "items"), [it.id for it in q.items], "item id")
    return problems


_QUESTION: TypeAdapter[AnyQuestion] = TypeAdapter(Question)


def _valid_questions(data: object) -> list[tuple[int, AnyQuestion]]:
    # One invalid question must not hide the rule problems of the others.
    valid = []
    for i, item in enumerate(_raw_questions(data)):
        with suppress(ValidationError):
            valid.append((i, _QUESTION.validate_python(item)))
    return valid


def _raw_questions(data: object) -> list:
    raw = data.get("questions") if isinstance(data, dict) else None
    return raw if isinstance(raw, list) else []


def check_complete_quiz(src: Source) -> list[Problem]:
    """Size rules for the quiz of a module whose status is complete (read from the raw data)."""
    problems = []
    questions = _raw_questions(src.data)
    draw = src.data.get("draw") if isinstance(src.data, dict) else None
    size = min(draw, len(questions)) if isinstance(draw, int) and draw > 0 else len(questions)
    if size < MIN_QUESTIONS:
        where = ("draw",) if isinstance(draw, int) else ("questions",)
        problems.append(src.problem(where, f"a complete module's quiz has at least "
                                           f"{MIN_QUESTIONS} questions per attempt, found {size}"))
    types = {q.get("type") for q in questions if isinstance(q, dict) and q.get("type") in _TYPES}
    if len(types) < MIN_TYPES:
        problems.append(src.problem(("questions",), f"a complete module's quiz uses at least "
                                                    f"{MIN_TYPES} question types, found {len(types)}"))
    return problems


def check_objective_tags(src: Source, objectives: int, *, complete: bool) -> list[Problem]:
    """Every `objective:` names one of the module's objectives; a complete quiz can draw one of each."""
    problems = []
    for i, q in enumerate(_raw_questions(src.data)):
        tag = q.get("objective") if isinstance(q, dict) else None
        if isinstance(tag, int) and not isinstance(tag, bool) and tag > objectives:
            problems.append(src.problem(("questions", i, "objective"),
                                        f"objective {tag} does not exist: module.yaml lists "
                                        f"{objectives} objectives"))
    draw = src.data.get("draw") if isinstance(src.data, dict) else None
    if complete and isinstance(draw, int) and 0 < draw < objectives:
        problems.append(src.problem(("draw",), f"draw is {draw} but the module has {objectives} "
                                               f"objectives: every attempt assesses each of them"))
    return problems


def check_translation(en: QuizFile, tr: QuizFile, src: Source) -> list[Problem]:
    """A translation keeps every id, answer and setting of en.yaml and changes text only."""
    problems = []
    for name in ("draw", "shuffle", ):
        if getattr(tr, name) != getattr(en, name):
            problems.append(src.problem((name,), f"{name} is {getattr(tr, name)!r} here but "
                                                 f"{getattr(en, name)!r} in en.yaml"))
    english = {q.id: q for q in en.questions}
    present = {q.id for q in tr.questions}
    missing = [qid for qid in english if qid not in present]
    if missing:
        problems.append(src.problem(("questions",), f"missing translation of question(s) "
                                                    f"{', '.join(missing)} from en.yaml"))
    for i, q in enumerate(tr.questions):
        orig = english.get(q.id)
        if orig is None:
            problems.append(src.problem(("questions", i, "id"), f"question '{q.id}' is not in en.yaml"))
        elif orig.type != q.type:
            problems.append(src.problem(("questions", i, "type"),
                                        f"type is '{q.type}' here but '{orig.type}' in en.yaml"))
        else:
            problems += _mirror(orig, q, src, ("questions", i))
    return problems


def _mirror(en: AnyQuestion, tr: AnyQuestion, src: Source, loc: tuple) -> list[Problem]:
    problems = []
    for name in ("points", "objective", "kind"):
        # points always mirror en.yaml; objective and kind may be left out of a translation
        given = name == "points" or name in tr.model_fields_set
        if given and getattr(tr, name) != getattr(en, name):
            problems.append(src.problem((*loc, name), f"{name} is {getattr(tr, name)} here but "
                                                      f"{getattr(en, name)} in en.yaml"))
    if isinstance(en, (SingleQuestion, MultipleQuestion)):
        problems += _same_ids(src, (*loc, "options"), [o.id for o in en.options],
                              [o.id for o in tr.options], "option")
        right_en = sorted(o.id for o in en.options if o.correct)
        right_tr = sorted(o.id for o in tr.options if o.correct)
        if right_en != right_tr:
            problems.append(src.problem(loc, f"correct option(s) {', '.join(right_tr) or 'none'} "
                                             f"differ from en.yaml ({', '.join(right_en)})"))
        feedback = {o.id for o in tr.options if o.feedback}
        for o in en.options:
            if o.feedback and o.id not in feedback and o.id in {t.id for t in tr.options}:
                j = [t.id for t in tr.options].index(o.id)
                problems.append(src.problem((*loc, "options", j),
                                            f"option '{o.id}' has feedback in en.yaml but not here"))
    elif isinstance(en, TrueFalseQuestion):
        if tr.answer != en.answer:
            problems.append(src.problem((*loc, "answer"), f"answer is {str(tr.answer).lower()} here "
                                                          f"but {str(en.answer).lower()} in en.yaml"))
        for key in ("true", "false"):
            if en.feedback and getattr(en.feedback, key) and not (
                    tr.feedback and getattr(tr.feedback, key)):
                problems.append(src.problem((*loc, "feedback"),
                                            f"feedback for '{key}' is in en.yaml but not here"))
    elif isinstance(en, MatchingQuestion):
        problems += _same_ids(src, (*loc, "pairs"), [p.id for p in en.pairs],
                              [p.id for p in tr.pairs], "pair")
    elif isinstance(en, OrderingQuestion):
        ids_en, ids_tr = [i.id for i in en.items], [i.id for i in tr.items]
        problems += _same_ids(src, (*loc, "items"), ids_en, ids_tr, "item")
        if sorted(ids_en) == sorted(ids_tr) and ids_en != ids_tr:
            problems.append(src.problem((*loc, "items"), f"items must be in the same (correct) "
                                                         f"order as en.yaml: {', '.join(ids_en)}"))
    return problems


def _same_ids(src: Source, loc: tuple, en: list[str], tr: list[str], what: str) -> list[Problem]:
    problems = []
    missing = [i for i in en if i not in tr]
    if missing:
        problems.append(src.problem(loc, f"missing {what}(s) {', '.join(missing)} from en.yaml"))
    for j, ident in enumerate(tr):
        if ident not in en:
            problems.append(src.problem((*loc, j, "id"), f"{what} '{ident}' is not in en.yaml"))
    return problems


def _duplicates(src: Source, loc: tuple, values: list[str], what: str, field: str = "id",
                positions: list[int] | None = None) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for j, value in enumerate(values):
        if value in seen:
            index = positions[j] if positions else j
            problems.append(src.problem((*loc, index, field), f"duplicate {what} {value!r}"))
        seen.add(value)
    return problems
