"""Quizzes for engine tests: the fixture module's quiz and small quizzes built from data."""
from __future__ import annotations

from pathlib import Path

import pytest

from lti_tool.content import load_catalogue
from lti_tool.content.quiz import QuizContent, build_quiz
from lti_tool.content.schema import QuizFile

GOOD = Path(__file__).resolve().parents[1] / "content" / "fixtures" / "good"


@pytest.fixture(scope="session")
def module():
    return load_catalogue(GOOD).get("m01")


@pytest.fixture
def quiz(module) -> QuizContent:
    """Ten questions, all five types; q02 (multiple, a and b right of a-d) is worth 2 points."""
    return module.quiz("en")


def _make_quiz(questions: list[dict], *, draw: int | None = None, shuffle: bool = True) -> QuizContent:
    return build_quiz(QuizFile.model_validate({"draw": draw, "shuffle": shuffle, "questions": questions}))


def _single(qid: str, options: int = 3, right: int = 0) -> dict:
    return {"id": qid, "type": "single", "prompt": f"Question {qid}?", "explanation": "Because.",
            "options": [{"id": chr(97 + i), "text": f"Option {i}", "correct": i == right}
                        for i in range(options)]}


@pytest.fixture
def make_quiz():
    """Build a QuizContent from question dicts written as in a quiz file."""
    return _make_quiz


@pytest.fixture
def single():
    """A single-choice question dict: `single("q1", options=4, right=0)`."""
    return _single


@pytest.fixture
def pool() -> QuizContent:
    """Fifteen single-choice questions, ten drawn per attempt."""
    return _make_quiz([_single(f"q{i:02d}") for i in range(1, 16)], draw=10)
