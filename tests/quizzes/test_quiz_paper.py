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
