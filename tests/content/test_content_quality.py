"""Quality warnings of `modules check`: the clues a test-wise learner uses, and gaps in a pool."""
from __future__ import annotations

from pathlib import Path

import yaml

from lti_tool.content.loader import load_modules
from lti_tool.content.quality import MIN_POOL

MODULE = """\
id: m01
order: 1
section: foundations
status: complete
minutes: {minutes}
reviewed: 2026-12-01
title: {{en: Quality}}
summary: {{en: A module for quality rules.}}
objectives:
  en: [Name one thing., Name two things., Name three things.]
further_reading:
  - {{title: One, url: "https://example.org/1"}}
  - {{title: Two, url: "https://example.org/2"}}
"""

PAGE = """\
---
id: p{n}
title: Page {n}
---

{words}

## In practice

Think about it.
"""


def single(n: int, key: str = "Option b text", *, objective: int | None = None,
           kind: str = "application") -> dict:
    question = {"id": f"q{n:02d}", "type": "single", "prompt": f"A case at the desk, number {n}?",
                "explanation": "Because.", "kind": kind,
                "options": [{"id": "a", "text": "Option a text"}, {"id": "b", "text": key, "correct": True},
                            {"id": "c", "text": "Option c text"}, {"id": "d", "text": "Option d text"}]}
    if objective is not None:
        question["objective"] = objective
    return question


def tf(n: int, prompt: str, answer: bool) -> dict:
    return {"id": f"q{n:02d}", "type": "true_false", "prompt": prompt, "answer": answer,
            "explanation": "Because.", "objective": 1, "kind": "application"}


def build(root: Path, questions: list[dict], *, minutes: int = 35, draw: int = 10, words: int = 900) -> Path:
    folder = root / "m01"
    (folder / "pages" / "en").mkdir(parents=True)
    (folder / "quiz").mkdir()
    (folder / "module.yaml").write_text(MODULE.format(minutes=minutes), encoding="utf-8")
    for n in range(1, 4):
        text = " ".join(["word"] * (words // 3))
        (folder / "pages" / "en" / f"0{n}-p{n}.md").write_text(PAGE.format(n=n, words=text), encoding="utf-8")
    (folder / "quiz" / "en.yaml").write_text(
        yaml.safe_dump({"draw": draw, "questions": questions}, sort_keys=False), encoding="utf-8")
    return root


def clean_pool() -> list[dict]:
    """A pool that passes every rule: 26 tagged application items of three types, no clues."""
    ordering = {"id": "q26", "type": "ordering", "prompt": "Put the steps of the case in order.",
                "explanation": "Because.", "objective": 3, "kind": "application",
                "items": [{"id": f"s{i}", "text": f"Step {i}"} for i in range(1, 5)]}
    return ([single(n, objective=1 + n % 3) for n in range(1, 25)]
            + [tf(25, "The official in this case may refuse entry.", True), ordering])


def warnings(root: Path) -> list[str]:
    loaded = load_modules(root)
    assert loaded.problems == []
    return [w.message for w in loaded.warnings]


def test_a_clean_pool_has_no_warning(tmp_path):
    assert warnings(build(tmp_path, clean_pool())) == []


def test_small_pool_untagged_questions_and_uncovered_objective(tmp_path):
    pool = clean_pool()[:10] + clean_pool()[-2:]
    for q in pool[:3]:
        del q["objective"]
    for q in pool:
        if q.get("objective") == 3:
            q["objective"] = 2
    found = warnings(build(tmp_path, pool))
    assert f"questions: the pool has 12 questions; at least {MIN_POOL} keep later attempts from repeating the first" in found
    assert "questions: no objective tag on q01, q02, q03" in found
    assert "questions: no question assesses objective 3" in found


def test_recall_heavy_pool(tmp_path):
    pool = clean_pool()
    for q in pool[:14]:
        q["kind"] = "recall"
    assert "questions: 12 of 26 questions are application items; at least half should be" in warnings(
        build(tmp_path, pool))


def test_the_longest_option_as_a_clue(tmp_path):
    pool = clean_pool()
    pool[0] = single(1, "Option b, and a long explanation of why it is the right one to pick", objective=1)
    for n in range(1, 12):                      # the key is (a little) longest in 11 of 26
        pool[n] = single(n + 1, "Option b text!", objective=1 + n % 3)
    found = warnings(build(tmp_path, pool))
    assert any(w.startswith("questions[0]: q01: the correct option is much longer than the others") for w in found)
    assert "questions: the correct option is the longest in 12 of 24 single-choice questions" in found


def test_absolute_words_in_a_false_statement(tmp_path):
    pool = clean_pool()
    pool[0] = tf(1, "Migrants must always carry a passport.", False)
    pool[1] = tf(2, "A smuggled person always crosses a border.", True)   # true: not a clue
    found = warnings(build(tmp_path, pool))
    assert "questions[0]: q01: a false statement with 'always' gives itself away; make it false on its substance" in found
    assert not any(w.startswith("questions[1]") for w in found)


def test_multiple_response_needs_two_wrong_options(tmp_path):
    pool = clean_pool()
    pool[0] = {"id": "q01", "type": "multiple", "prompt": "Which apply?", "explanation": "Because.",
               "objective": 1, "kind": "application",
               "options": [{"id": c, "text": f"Choice {c}", "correct": c != "d"} for c in "abcd"]}
    assert "questions[0]: q01: a multiple-response question needs at least 2 wrong options, found 1" in warnings(
        build(tmp_path, pool))


def test_number_alone_and_catch_all_options(tmp_path):
    pool = clean_pool()
    pool[0] = single(1, "Objective 11", objective=1)
    pool[1] = single(2, "All of the above", objective=2)
    found = warnings(build(tmp_path, pool))
    assert "questions[0]: q01: the answer is a number or a date alone; ask what the official would do with it" in found
    assert "questions[1]: q02: 'all/none of the above' options are a clue; write real options" in found


def test_minutes_follow_the_content(tmp_path):
    # 915 words = 5 min, 10 questions (all application) = 20 min, 3 "In practice" = 9 min: 34 -> 35
    found = warnings(build(tmp_path, clean_pool(), minutes=60))
    assert "minutes is 60 but the content suggests 35 (915 words at 180 a minute, the quiz, 3 'In practice' sections)" in found
    assert warnings(build(tmp_path / "b", clean_pool(), minutes=35)) == []


def test_the_same_question_in_two_modules(tmp_path):
    build(tmp_path, clean_pool())
    second = tmp_path / "m02"
    (tmp_path / "m01").rename(tmp_path / "tmp")
    build(tmp_path, clean_pool())
    (tmp_path / "tmp").rename(second)
    text = (second / "module.yaml").read_text().replace("id: m01", "id: m02").replace("order: 1", "order: 2")
    (second / "module.yaml").write_text(text)
    found = warnings(tmp_path)
    assert "questions[0]: q01: the same question as m01 q01" in found


def test_objective_tags_must_exist_and_the_draw_must_cover_them(tmp_path):
    pool = clean_pool()
    pool[0]["objective"] = 4
    root = build(tmp_path, pool, draw=2)
    messages = [p.message for p in load_modules(root).problems]
    assert "questions[0].objective: objective 4 does not exist: module.yaml lists 3 objectives" in messages
    assert "draw: draw is 2 but the module has 3 objectives: every attempt assesses each of them" in messages


def test_yaml_only_libyaml_reads_is_an_error_in_a_thorough_check(tmp_path):
    root = build(tmp_path, clean_pool())
    quiz = root / "m01" / "quiz" / "en.yaml"
    quiz.write_text("draw: 10\nquestions:\n  - {id: q01, type: matching, prompt: Match., explanation: E.,\n"
                    "     pairs: [{id: p1, left: A, right: Why?}]}\n", encoding="utf-8")
    thorough = [p.message for p in load_modules(root, thorough=True).problems]
    assert any(m.startswith("only libyaml reads this; PyYAML's pure-Python parser says") for m in thorough)
    assert not any(m.startswith("only libyaml") for m in (p.message for p in load_modules(root).problems))
