"""A module's quiz as the app uses it: English structure, text in the learner's language."""
from __future__ import annotations

from dataclasses import dataclass

from .schema import (
    AnyQuestion,
    QuestionKind,
    MatchingQuestion,
    MultipleQuestion,
    OrderingQuestion,
    QuestionType,
    QuizFile,
    SingleQuestion,
    TrueFalseQuestion,
)


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    correct: bool
    feedback: str | None = None


@dataclass(frozen=True)
class MatchPair:
    id: str
    left: str
    right: str


@dataclass(frozen=True)
class OrderItem:
    id: str
    text: str


@dataclass(frozen=True)
class QuizQuestion:
    """One question; only the fields of its `type` are filled."""

    id: str
    type: QuestionType
    points: int
    prompt: str
    explanation: str
    objective: int | None = None              # 1-based module objective it assesses
    kind: QuestionKind = QuestionKind.RECALL
    options: tuple[Choice, ...] = ()          # single, multiple
    answer: bool | None = None                # true_false
    feedback_true: str | None = None          # true_false: shown when the learner answered true
    feedback_false: str | None = None
    pairs: tuple[MatchPair, ...] = ()         # matching
    items: tuple[OrderItem, ...] = ()         # ordering, in the correct order

    def choice(self, option_id: str) -> Choice | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class QuizContent:
    """The quiz in `lang`; ids, order, points and answers always come from `en.yaml`."""

    lang: str
    draw: int | None
    shuffle: bool
    questions: tuple[QuizQuestion, ...]

    def question(self, qid: str) -> QuizQuestion | None:
        return next((q for q in self.questions if q.id == qid), None)

    @property
    def size(self) -> int:
        """Questions per attempt (the pool is drawn from when `draw` is set)."""
        return min(self.draw or len(self.questions), len(self.questions))


def build_quiz(en: QuizFile, lang: str = "en", translation: QuizFile | None = None) -> QuizContent:
    """Overlay a checked translation's text on the English quiz, so every language scores alike."""
    texts = {q.id: q for q in translation.questions} if translation else {}
    return QuizContent(
        lang=lang if translation else "en",
        draw=en.draw,
        shuffle=en.shuffle,
        questions=tuple(_question(q, texts.get(q.id, q)) for q in en.questions),
    )


def _question(q: AnyQuestion, t: AnyQuestion) -> QuizQuestion:
    common = dict(id=q.id, type=QuestionType(q.type), points=q.points,
                  prompt=t.prompt, explanation=t.explanation, objective=q.objective, kind=q.kind)
    if isinstance(q, (SingleQuestion, MultipleQuestion)):
        text = {o.id: o for o in getattr(t, "options", [])}
        return QuizQuestion(**common, options=tuple(
            Choice(o.id, text.get(o.id, o).text, o.correct, _or(text.get(o.id), o, "feedback"))
            for o in q.options))
    if isinstance(q, TrueFalseQuestion):
        fb = getattr(t, "feedback", None) or q.feedback
        return QuizQuestion(**common, answer=q.answer,
                            feedback_true=fb.true if fb else None,
                            feedback_false=fb.false if fb else None)
    if isinstance(q, MatchingQuestion):
        text = {p.id: p for p in getattr(t, "pairs", [])}
        return QuizQuestion(**common, pairs=tuple(
            MatchPair(p.id, text.get(p.id, p).left, text.get(p.id, p).right) for p in q.pairs))
    if isinstance(q, OrderingQuestion):
        text = {i.id: i for i in getattr(t, "items", [])}
        return QuizQuestion(**common, items=tuple(
            OrderItem(i.id, text.get(i.id, i).text) for i in q.items))
    raise TypeError(f"unknown question model {type(q).__name__}")  # pragma: no cover


def _or(translated: object | None, original: object, attr: str) -> str | None:
    value = getattr(translated, attr, None) if translated is not None else None
    return value if value is not None else getattr(original, attr)
