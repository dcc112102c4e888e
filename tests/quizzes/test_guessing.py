"""The guessing strategies score what their rules say, by the real scoring, over drawn papers."""
from __future__ import annotations

import pytest

from lti_tool.quizzes.guessing import expected_scores


def _single(qid: str, key_text: str) -> dict:
    return {"id": qid, "type": "single", "prompt": f"Which one, {qid}?", "explanation": "Because.",
            "options": [{"id": "a", "text": "Short"}, {"id": "b", "text": key_text, "correct": True},
                        {"id": "c", "text": "Small"}, {"id": "d", "text": "Brief"}]}


def test_a_quiz_whose_key_is_the_longest_option_is_passed_by_the_test_wise(make_quiz):
    quiz = make_quiz([_single(f"q{n}", "The long and detailed right answer") for n in range(10)])
    chance, clues = expected_scores(quiz, 70, papers=200)
    assert clues.strategy == "test-wise" and clues.mean_percent == 100 and clues.pass_rate == 1
    assert chance.strategy == "chance" and chance.mean_percent == pytest.approx(25, abs=5)


def test_clue_free_options_leave_the_test_wise_at_chance(make_quiz):
    quiz = make_quiz([_single(f"q{n}", "Quick") for n in range(10)])     # every option 5 letters
    chance, clues = expected_scores(quiz, 70, papers=300)
    assert clues.mean_percent == pytest.approx(25, abs=5) and clues.pass_rate < 0.01


def test_absolute_words_give_a_false_statement_away(make_quiz):
    statements = [{"id": f"t{n}", "type": "true_false", "prompt": "Officers must always refuse.",
                   "answer": False, "explanation": "Because."} for n in range(10)]
    _, clues = expected_scores(make_quiz(statements), 70, papers=50)
    assert clues.mean_percent == 100
