"""Drawing papers and showing them: deterministic, and never a hint of the answers."""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from lti_tool.quizzes.engine import Paper, StalePaper, draw_paper, paper_view


def test_same_seed_same_paper(quiz):
    assert draw_paper(quiz, 1234) == draw_paper(quiz, 1234)


def test_different_seeds_give_different_papers(quiz):
    papers = {draw_paper(quiz, seed).to_json().split(",", 2)[2] for seed in range(5)}
    assert len(papers) > 1


def test_every_question_once_when_there_is_no_draw(quiz):
    paper = draw_paper(quiz, 7)
    assert sorted(paper.question_ids) == sorted(q.id for q in quiz.questions)


def test_pool_draws_n_of_m(pool):
    papers = [draw_paper(pool, seed) for seed in range(6)]
    every_id = {q.id for q in pool.questions}
    for paper in papers:
        assert len(paper.questions) == 10 and len(set(paper.question_ids)) == 10
        assert set(paper.question_ids) <= every_id
    assert len({frozenset(p.question_ids) for p in papers}) > 1
    assert draw_paper(pool, 3) == draw_paper(pool, 3)


def test_no_shuffle_keeps_file_order_but_still_scrambles_matching_and_ordering(make_quiz, single):
    quiz = make_quiz([
        single("q1", options=4),
        {"id": "q2", "type": "ordering", "prompt": "Order", "explanation": "E",
         "items": [{"id": f"s{i}", "text": f"T{i}"} for i in range(1, 4)]},
        {"id": "q3", "type": "matching", "prompt": "Match", "explanation": "E",
         "pairs": [{"id": f"p{i}", "left": f"L{i}", "right": f"R{i}"} for i in range(1, 4)]},
    ], shuffle=False)
    for seed in range(20):
        paper = draw_paper(quiz, seed)
        assert paper.question_ids == ["q1", "q2", "q3"]
        assert paper.questions[0].options == ("a", "b", "c", "d")
        assert paper.questions[1].items != ("s1", "s2", "s3")
        assert paper.questions[2].left == ("p1", "p2", "p3")
        assert paper.questions[2].right != ("p1", "p2", "p3")


def test_pool_without_shuffle_keeps_file_order(make_quiz, single):
    quiz = make_quiz([single(f"q{i:02d}") for i in range(1, 13)], draw=10, shuffle=False)
    ids = draw_paper(quiz, 5).question_ids
    assert ids == sorted(ids) and len(ids) == 10


def test_paper_round_trips_through_json(quiz):
    paper = draw_paper(quiz, 99)
    stored = paper.to_json()
    assert json.loads(stored)["seed"] == 99
    assert Paper.from_json(stored) == paper
    assert paper_view(quiz, Paper.from_json(stored)) == paper_view(quiz, paper)


def test_shuffle_is_stable_across_languages(module):
    en, es = module.quiz("en"), module.quiz("es")
    assert draw_paper(en, 42) == draw_paper(es, 42)
    views_en, views_es = paper_view(en, draw_paper(en, 42)), paper_view(es, draw_paper(es, 42))
    assert [v.qid for v in views_en] == [v.qid for v in views_es]
    assert views_es[0].prompt != views_en[0].prompt


def test_view_shows_parts_in_paper_order(quiz):
    paper = draw_paper(quiz, 3)
    views = paper_view(quiz, paper)
    assert [v.number for v in views] == list(range(1, 11))
    for view, pq in zip(views, paper.questions, strict=True):
        q = quiz.question(pq.id)
        assert view.qid == q.id and view.prompt == q.prompt and view.field == f"q-{q.id}"
        if pq.options:
            assert [o.text for o in view.options] == [q.choice(i).text for i in pq.options]
            assert [o.value for o in view.options] == [str(n) for n in range(1, len(pq.options) + 1)]
            assert [o.label for o in view.options][:2] == ["A", "B"]
        if pq.right:
            rights = {p.id: p.right for p in q.pairs}
            assert [o.text for o in view.options] == [rights[i] for i in pq.right]
            assert [r.field for r in view.rows] == [f"q-{q.id}-{n}" for n in range(1, 4)]
        if pq.items:
            texts = {i.id: i.text for i in q.items}
            assert [r.text for r in view.rows] == [texts[i] for i in pq.items]
            assert [o.value for o in view.options] == ["1", "2", "3", "4"]


def test_view_holds_no_answers(quiz):
    views = paper_view(quiz, draw_paper(quiz, 8))
    dumped = json.dumps([asdict(v) for v in views])
    for word in ("correct", "answer", "feedback", "explanation", "Yes. Blue.", "Air scatters"):
        assert word not in dumped
    # content ids often give the answer away (the right option written first as `a`,
    # items numbered in order): the browser sees display positions only
    values = {o.value for v in views for o in v.options}
    fields = {v.field for v in views} | {r.field for v in views for r in v.rows}
    content_ids = {"a", "b", "c", "d", "p1", "p2", "p3", "s1", "s2", "s3", "s4"}
    assert not values & content_ids
    assert not {f.rsplit("-", 1)[-1] for f in fields} & content_ids


def test_stale_paper_is_detected(quiz, pool):
    paper = draw_paper(pool, 1)
    with pytest.raises(StalePaper):
        paper_view(quiz, paper)
    with pytest.raises(StalePaper):
        Paper.from_dict({"version": 99, "seed": 1, "questions": []})


# -- the draw: every objective, and new questions first ------------------------------------------

def tagged_pool(make_quiz, single, *, objectives: dict[int, int], untagged: int = 0, draw: int):
    """A pool with `objectives[o]` questions tagged with objective o (ids `o<o>-<n>`), plus untagged ones."""
    questions = []
    for objective, count in objectives.items():
        for n in range(1, count + 1):
            questions.append({**single(f"o{objective}-{n}"), "objective": objective})
    questions += [single(f"u{n}") for n in range(1, untagged + 1)]
    return make_quiz(questions, draw=draw)


def objectives_of(quiz, paper) -> set[int]:
    return {quiz.question(qid).objective for qid in paper.question_ids} - {None}


def test_every_tagged_objective_is_assessed_in_every_attempt(make_quiz, single):
    # objective 4 has a single question in a pool of 30: drawn at random it would be missed 2/3 of the time
    quiz = tagged_pool(make_quiz, single, objectives={1: 12, 2: 10, 3: 7, 4: 1}, draw=10)
    for seed in range(200):
        paper = draw_paper(quiz, seed)
        assert objectives_of(quiz, paper) == {1, 2, 3, 4}, seed
        assert len(set(paper.question_ids)) == 10


def test_untagged_questions_fill_the_rest(make_quiz, single):
    quiz = tagged_pool(make_quiz, single, objectives={1: 1, 2: 1}, untagged=20, draw=5)
    for seed in range(50):
        ids = draw_paper(quiz, seed).question_ids
        assert {"o1-1", "o2-1"} <= set(ids) and len(ids) == 5


def test_later_attempts_prefer_questions_not_seen_before(make_quiz, single):
    quiz = tagged_pool(make_quiz, single, objectives={1: 10, 2: 10, 3: 10}, draw=10)
    first = draw_paper(quiz, 11)
    second = draw_paper(quiz, 12, seen=first.question_ids)
    assert not set(first.question_ids) & set(second.question_ids)
    assert objectives_of(quiz, second) == {1, 2, 3}
    third = draw_paper(quiz, 13, seen=first.question_ids + second.question_ids)
    assert not set(third.question_ids) & (set(first.question_ids) | set(second.question_ids))
    # the pool has run out of new questions: the fourth attempt repeats, still covering every objective
    fourth = draw_paper(quiz, 14, seen=[q.id for q in quiz.questions])
    assert len(fourth.question_ids) == 10 and objectives_of(quiz, fourth) == {1, 2, 3}


def test_an_objective_whose_questions_were_all_seen_still_gets_one(make_quiz, single):
    quiz = tagged_pool(make_quiz, single, objectives={1: 2, 2: 10}, draw=4)
    paper = draw_paper(quiz, 5, seen=["o1-1", "o1-2"])
    assert objectives_of(quiz, paper) == {1, 2}
    assert sum(qid.startswith("o1-") for qid in paper.question_ids) == 1   # only the one it must have


def test_the_draw_is_reproducible_from_seed_and_seen(make_quiz, single):
    quiz = tagged_pool(make_quiz, single, objectives={1: 8, 2: 8}, untagged=4, draw=6)
    seen = ["o1-1", "o2-3", "u2"]
    assert draw_paper(quiz, 77, seen=seen) == draw_paper(quiz, 77, seen=list(reversed(seen)))
    assert draw_paper(quiz, 77) != draw_paper(quiz, 77, seen=draw_paper(quiz, 77).question_ids)


def test_more_objectives_than_questions_drawn_takes_one_question_each_from_some(make_quiz, single):
    quiz = tagged_pool(make_quiz, single, objectives={o: 2 for o in range(1, 7)}, draw=4)
    for seed in range(20):
        paper = draw_paper(quiz, seed)
        assert len(objectives_of(quiz, paper)) == 4


def test_saved_answers_go_back_into_the_form_they_came_from(quiz):
    """form_values is parse_answers backwards, for every question type (saved answers shown again)."""
    from learner_helpers import answer_fields
    from werkzeug.datastructures import MultiDict

    from lti_tool.quizzes.engine import form_values, parse_answers

    for seed in range(5):
        paper = draw_paper(quiz, seed)
        for correct in (True, False):
            fields = answer_fields(quiz, paper, correct=correct, skip=2)
            answers = parse_answers(quiz, paper, MultiDict(fields))
            assert sorted(form_values(paper, answers)) == sorted(fields)
            assert parse_answers(quiz, paper, MultiDict(form_values(paper, answers))) == answers
