"""Reading submitted forms and scoring them by the rules in modules/README.md."""
from __future__ import annotations

from fractions import Fraction

import pytest

from lti_tool.quizzes.scoring import display_percent
from lti_tool.quizzes.engine import (
    AnswerError,
    Answers,
    Paper,
    draw_paper,
    paper_view,
    parse_answers,
    score,
)

#: the fixture quiz answered perfectly, in content ids
PERFECT = {
    "q01": "b", "q02": ["a", "b"], "q03": True, "q04": {"p1": "p1", "p2": "p2", "p3": "p3"},
    "q05": {"s1": 1, "s2": 2, "s3": 3, "s4": 4}, "q06": "a", "q07": False, "q08": "b",
    "q09": "a", "q10": True,
}


def form_for(paper: Paper, wanted: dict) -> dict[str, list[str]]:
    """What a browser posts for these answers: display positions, never content ids."""
    form: dict[str, list[str]] = {"csrf_token": ["x"]}
    for pq in paper.questions:
        if pq.id not in wanted:
            continue
        value = wanted[pq.id]
        if isinstance(value, bool):
            form[f"q-{pq.id}"] = ["true" if value else "false"]
        elif isinstance(value, str):
            form[f"q-{pq.id}"] = [str(pq.options.index(value) + 1)]
        elif isinstance(value, list):
            form[f"q-{pq.id}"] = [str(pq.options.index(v) + 1) for v in value]
        elif pq.right:
            for left, chosen in value.items():
                form[f"q-{pq.id}-{pq.left.index(left) + 1}"] = [str(pq.right.index(chosen) + 1)]
        else:
            for item, position in value.items():
                form[f"q-{pq.id}-{pq.items.index(item) + 1}"] = [str(position)]
    return form


@pytest.fixture
def paper(quiz):
    return draw_paper(quiz, 2024)


def result_for(quiz, paper, wanted, pass_mark=70):
    answers = parse_answers(quiz, paper, form_for(paper, wanted))
    return score(quiz, paper, answers, pass_mark)


def question(result, qid):
    return next(r for r in result.questions if r.qid == qid)


def test_perfect_paper(quiz, paper):
    result = result_for(quiz, paper, PERFECT)
    assert (result.points, result.max_points, result.percent, result.passed) == (11, 11, 100, True)
    assert all(r.correct for r in result.questions)
    assert [r.qid for r in result.questions] == paper.question_ids
    assert question(result, "q02").max == 2 and question(result, "q02").earned == 2


def test_empty_form_scores_zero(quiz, paper):
    result = score(quiz, paper, parse_answers(quiz, paper, {}), 70)
    assert (result.points, result.percent, result.passed) == (0, 0, False)
    assert all(r.given is None and r.earned == 0 and r.feedback == [] for r in result.questions)
    assert question(result, "q01").explanation == "Air scatters blue light most."


def test_blank_values_count_as_unanswered(quiz, paper):
    form = {}
    for view in paper_view(quiz, paper):
        for name in [r.field for r in view.rows] or [view.field]:
            form[name] = [""]       # a select left at its placeholder
    assert parse_answers(quiz, paper, form) == Answers({})


def test_single_and_true_false_are_all_or_nothing(quiz, paper):
    result = result_for(quiz, paper, {"q01": "a", "q03": False, "q06": "a", "q07": False})
    assert [question(result, q).earned for q in ("q01", "q03", "q06", "q07")] == [0, 0, 1, 1]
    assert question(result, "q01").feedback == ["Not green."]
    assert question(result, "q01").expected == "b"
    assert question(result, "q03").feedback == ["It does boil at 100 °C."]


@pytest.mark.parametrize("picks, share", [
    (["a", "b"], Fraction(1)),          # both right
    (["a"], Fraction(1, 2)),            # one of two right
    (["a", "c"], Fraction(0)),          # 1/2 of the right ones - 1/2 of the wrong ones
    (["a", "b", "c"], Fraction(1, 2)),  # 2/2 - 1/2
    (["a", "c", "d"], Fraction(0)),     # 1/2 - 2/2: floor at 0, never negative
    (["c", "d"], Fraction(0)),
    (["a", "b", "c", "d"], Fraction(0)),  # ticking every box scores nothing
])
def test_multiple_gives_partial_credit(quiz, paper, picks, share):
    result = result_for(quiz, paper, {"q02": picks})
    assert question(result, "q02").earned == 2 * share    # q02 is worth 2 points
    assert question(result, "q02").correct is (share == 1)


@pytest.mark.parametrize("picks, share", [
    (["a", "b", "c", "d", "e"], Fraction(0)),      # the review's 4-of-5 items: "select all" was 0.75
    (["a", "b", "c", "d"], Fraction(1)),
    (["a", "b", "c"], Fraction(3, 4)),
    (["a", "b", "c", "e"], Fraction(0)),           # 3/4 - 1/1
])
def test_tick_all_scores_zero_when_most_options_are_right(make_quiz, picks, share):
    question = {"id": "m", "type": "multiple", "prompt": "Which apply?", "explanation": "Because.",
                "options": [{"id": c, "text": f"Option {c}", "correct": c != "e"} for c in "abcde"]}
    quiz = make_quiz([question])
    paper = draw_paper(quiz, 3)
    result = score(quiz, paper, parse_answers(quiz, paper, form_for(paper, {"m": picks})), 70)
    assert result.questions[0].earned == share


def test_multiple_feedback_follows_the_options(quiz, paper):
    result = result_for(quiz, paper, {"q02": ["c", "a"]})
    assert question(result, "q02").feedback == ["Two is even.", "Five is odd."]
    assert set(question(result, "q02").given) == {"a", "c"}


def test_matching_scores_the_share_of_pairs(quiz, paper):
    result = result_for(quiz, paper, {"q04": {"p1": "p1", "p2": "p3", "p3": "p2"}})
    assert question(result, "q04").earned == Fraction(1, 3)
    result = result_for(quiz, paper, {"q04": {"p1": "p1", "p2": "p2"}})   # one row left blank
    assert question(result, "q04").earned == Fraction(2, 3)


def test_ordering_scores_pairs_in_their_relative_order(quiz, paper):
    result = result_for(quiz, paper, {"q05": {"s1": 1, "s2": 3, "s3": 2, "s4": 4}})
    assert question(result, "q05").earned == Fraction(5, 6)     # only (s2, s3) is the wrong way round
    assert question(result, "q05").expected == {"s1": 1, "s2": 2, "s3": 3, "s4": 4}
    reversed_ = result_for(quiz, paper, {"q05": {"s1": 4, "s2": 3, "s3": 2, "s4": 1}})
    assert question(reversed_, "q05").earned == 0
    partial = result_for(quiz, paper, {"q05": {"s1": 1, "s2": 2}})   # two items left unplaced
    assert question(partial, "q05").earned == Fraction(1, 6)


def test_one_misplaced_stage_of_five_keeps_most_of_the_credit(make_quiz):
    """The review's example: the policy cycle started at "monitoring and evaluation" scored 0/5."""
    stages = ["agenda", "formulation", "adoption", "implementation", "evaluation"]
    quiz = make_quiz([{"id": "cycle", "type": "ordering", "prompt": "Order the stages.",
                       "explanation": "Because.", "items": [{"id": s, "text": s} for s in stages]}])
    paper = draw_paper(quiz, 9)
    given = {"evaluation": 1, "agenda": 2, "formulation": 3, "adoption": 4, "implementation": 5}
    result = score(quiz, paper, parse_answers(quiz, paper, form_for(paper, {"cycle": given})), 70)
    assert result.questions[0].earned == Fraction(6, 10)    # 4 of the 10 pairs are out of order


def test_percent_is_exact_and_rounded_half_up_for_display(quiz, paper):
    wanted = {k: v for k, v in PERFECT.items() if k not in ("q04",)}
    wanted["q04"] = {"p1": "p1", "p2": "p3", "p3": "p2"}            # 1/3 of a point
    wanted["q01"] = "a"                                               # 0 of 1
    result = result_for(quiz, paper, wanted)
    assert result.points == Fraction(28, 3) and result.max_points == 11
    assert result.percent == Fraction(2800, 33)                      # 84.84...
    assert result.percent_display == 85 and result.passed
    assert not result_for(quiz, paper, wanted, pass_mark=85).passed
    assert result.score_given == pytest.approx(9.3333, abs=1e-3)


@pytest.mark.parametrize("percent, pass_mark, shown", [
    (Fraction(1583, 100), 70, 16),      # rounded, not truncated
    (Fraction(845, 10), 70, 85),        # half up
    (Fraction(2, 3) * 100, 70, 67),
    (Fraction(696, 10), 70, 69),        # would show the pass mark without passing: held back
    (Fraction(696, 10), None, 70),
    (Fraction(70), 70, 70),
    (Fraction(0), 70, 0),
    (Fraction(100), 70, 100),
])
def test_display_percent(percent, pass_mark, shown):
    assert display_percent(percent, pass_mark) == shown


def test_pass_mark_is_inclusive(make_quiz, single):
    quiz = make_quiz([single("q1"), single("q2")])
    paper = draw_paper(quiz, 1)
    half = parse_answers(quiz, paper, form_for(paper, {"q1": "a", "q2": "b"}))
    assert score(quiz, paper, half, 50).passed and not score(quiz, paper, half, 51).passed


def test_pool_scores_only_drawn_questions(pool):
    paper = draw_paper(pool, 11)
    result = score(pool, paper, parse_answers(pool, paper, form_for(
        paper, {qid: "a" for qid in paper.question_ids})), 70)
    assert (result.max_points, result.percent) == (10, 100)


def test_werkzeug_multidict_is_read_with_all_its_values(quiz, paper):
    from werkzeug.datastructures import MultiDict

    flat = form_for(paper, {"q02": ["a", "b"], "q01": "b"})
    form = MultiDict([(k, v) for k, values in flat.items() for v in values])
    answers = parse_answers(quiz, paper, form)
    assert set(answers.get("q02")) == {"a", "b"} and answers.get("q01") == "b"


def test_answers_round_trip_through_json(quiz, paper):
    answers = parse_answers(quiz, paper, form_for(paper, PERFECT))
    assert Answers.from_json(answers.to_json()) == answers
    assert score(quiz, paper, Answers.from_json(answers.to_json()), 70).percent == 100


def test_end_to_end_from_the_view(quiz):
    """Fill the form the way a learner does: from what paper_view shows, by text."""
    paper = draw_paper(quiz, 5)
    form = {}
    for view in paper_view(quiz, paper):
        q = quiz.question(view.qid)
        if view.type in ("single", "multiple"):
            right = {o.text for o in q.options if o.correct}
            form[view.field] = [o.value for o in view.options if o.text in right]
        elif view.type == "true_false":
            form[view.field] = [str(q.answer).lower()]
        elif view.type == "matching":
            right_of = {p.left: p.right for p in q.pairs}
            for row in view.rows:
                form[row.field] = [next(o.value for o in view.options if o.text == right_of[row.text])]
        else:
            place = {i.text: n for n, i in enumerate(q.items, 1)}
            for row in view.rows:
                form[row.field] = [str(place[row.text])]
    assert score(quiz, paper, parse_answers(quiz, paper, form), 70).percent == 100


@pytest.mark.parametrize("field, values, code", [
    ("q-q99", ["1"], "unknown_question"),
    ("q-q01", ["9"], "unknown_option"),
    ("q-q01", ["b"], "unknown_option"),          # content ids are not accepted, positions are
    ("q-q01", ["1", "2"], "too_many"),
    ("q-q02", ["1", "7"], "unknown_option"),
    ("q-q03", ["yes"], "unknown_option"),
    ("q-q04-1", ["4"], "out_of_range"),
    ("q-q04-4", ["1"], "unknown_option"),        # there are only three rows
    ("q-q05-1", ["0"], "out_of_range"),
    ("q-q05-2", ["two"], "out_of_range"),
])
def test_answer_errors_name_the_question(quiz, paper, field, values, code):
    with pytest.raises(AnswerError) as info:
        parse_answers(quiz, paper, {field: values})
    error = info.value
    assert error.code == code
    qid = field.split("-")[1]
    if qid in paper.question_ids:
        number = paper.question_ids.index(qid) + 1
        assert (error.qid, error.number) == (qid, number)
        assert str(error).startswith(f"Question {number}: ")
    else:
        assert error.qid is None and str(error).startswith("The form: ")


def test_duplicate_positions_are_refused(quiz, paper):
    form = {"q-q05-1": ["2"], "q-q05-2": ["2"], "q-q05-3": ["1"]}
    with pytest.raises(AnswerError) as info:
        parse_answers(quiz, paper, form)
    assert info.value.code == "duplicate_position" and info.value.qid == "q05"
    assert "position 2 is given to more than one item" in str(info.value)
