"""The quiz engine the views call: draw a paper, show it, read the form, score it.

Pure functions on content objects and JSON-friendly dataclasses: no Flask, no database.
Typical flow: `paper = draw_paper(quiz, seed)` stored with the attempt as `paper.to_json()`;
`paper_view(quiz, paper)` rendered; on submit `score(quiz, paper, parse_answers(quiz, paper,
request.form.to_dict(flat=False)), module.pass_mark)`.
"""
from __future__ import annotations

from .answers import AnswerError, Answers, Given, form_values, parse_answers
from .paper import (
    OptionView,
    Paper,
    PaperQuestion,
    QuestionView,
    RowView,
    StalePaper,
    draw_paper,
    field_name,
    paper_view,
)
from .scoring import QuestionResult, ScoreResult, score

__all__ = [
    "AnswerError", "Answers", "Given", "OptionView", "Paper", "PaperQuestion", "QuestionResult",
    "QuestionView", "RowView", "ScoreResult", "StalePaper", "draw_paper", "field_name", "form_values",
    "paper_view", "parse_answers", "score",
]
