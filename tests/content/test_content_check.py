"""`check_modules`: every kind of problem, with the file and the line a writer must fix."""
from __future__ import annotations

from pathlib import Path

from lti_tool.content import Problem, check_modules

REPO_MODULES = Path(__file__).resolve().parents[2] / "modules"

OUTLINE = """\
id: m02
order: 2
section: thematic
status: outline
minutes: 20
title:
  en: Test module two
summary:
  en: An outline module, English only.
objectives:
  en:
    - Name one thing.
    - Name two things.
    - Name three things.
"""


def test_good_fixture_has_no_problems(good):
    assert check_modules(good) == []


def test_broken_fixture_reports_every_problem_with_its_line(broken):
    found = [(p.file.relative_to(broken).as_posix(), p.line, p.message) for p in check_modules(broken)]
    expected = [
        ("m01/module.yaml", 3, "section: invalid value 'fundamentals'"),
        ("m01/module.yaml", 6, "unknown field 'colour'"),
        ("m01/module.yaml", 16, "pass_mark: invalid value 120"),
        ("m01/pages/en/01-start.md", 6, "broken link page:nowhere"),
        ("m01/pages/en/01-start.md", 9, "broken link module:m99"),
        ("m01/pages/en/01-start.md", 11, "raw HTML is not allowed"),
        ("m01/pages/en/02-more.md", 2, "duplicate page id 'start'"),
        ("m01/pages/en/03-last.md", 4, "unknown field 'colour'"),
        ("m01/quiz/en.yaml", 1, "at least 10 questions per attempt, found 2"),
        ("m01/quiz/en.yaml", 1, "at least 3 question types, found 1"),
        ("m01/quiz/en.yaml", 2, "needs exactly one correct option, found 2"),
        ("m01/quiz/en.yaml", 10, "duplicate question id 'q01'"),
        ("m01/quiz/en.yaml", 11, "unknown question type 'essay'"),
        ("m02/module.yaml", 4, "YAML syntax error"),
        ("m03/module.yaml", 1, "'m09' must equal the folder name 'm03'"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (file, line, message), (want_file, want_line, fragment) in zip(found, expected, strict=True):
        assert (file, line) == (want_file, want_line) and fragment in message, (file, line, message)


def test_problem_formats_as_file_line_message(tmp_path):
    problem = Problem(tmp_path / "m01" / "module.yaml", 7, "unknown field 'x'")
    assert str(problem) == f"{tmp_path}/m01/module.yaml:7: unknown field 'x'"
    assert problem.format(relative_to=tmp_path) == "m01/module.yaml:7: unknown field 'x'"


# -- YAML and schema ------------------------------------------------------------------------

def test_yaml_syntax_error_names_the_line(write):
    write("m02/module.yaml", OUTLINE.replace("minutes: 20", "minutes: [20"))
    [(file, line, message)] = write.problems()
    assert file == "m02/module.yaml" and message.startswith("YAML syntax error")
    assert line in (5, 6)  # where the unclosed sequence is noticed


def test_unknown_field_in_module(write):
    write("m02/module.yaml", OUTLINE + "colour: blue\n")
    assert write.problems() == [("m02/module.yaml", 15, "unknown field 'colour'")]


def test_unknown_language_in_a_translated_field(write):
    write("m02/module.yaml", OUTLINE.replace("  en: Test module two", "  en: Test module two\n  de: Zwei"))
    assert write.problems() == [("m02/module.yaml", 8, "title: unknown field 'de'")]


def test_missing_required_field(write):
    write("m02/module.yaml", OUTLINE.replace("minutes: 20\n", ""))
    assert write.problems() == [("m02/module.yaml", 1, "missing required field 'minutes'")]


def test_missing_required_english(write):
    write("m02/module.yaml", OUTLINE.replace("  en: An outline module, English only.",
                                             "  es: Solo en español."))
    assert write.problems() == [("m02/module.yaml", 8, "summary: missing required field 'en'")]


def test_invalid_values(write):
    text = (OUTLINE.replace("section: thematic", "section: other")
            .replace("status: outline", "status: draft") + "pass_mark: -1\ngrading: worst\n")
    write("m02/module.yaml", text)
    found = write.problems()
    assert [(f, line) for f, line, _ in found] == [("m02/module.yaml", 3), ("m02/module.yaml", 4),
                                                   ("m02/module.yaml", 15), ("m02/module.yaml", 16)]
    assert found[0][2].startswith("section: invalid value 'other'")
    assert found[2][2].startswith("pass_mark: invalid value -1")


def test_duplicate_yaml_key(write):
    write("m02/module.yaml", OUTLINE + "minutes: 25\n")
    assert write.problems() == [("m02/module.yaml", 15, "duplicate key 'minutes'")]


def test_objectives_count(write):
    write("m02/module.yaml", OUTLINE.replace("    - Name three things.\n", ""))
    assert write.problems() == [("m02/module.yaml", 11, "objectives.en: 2 objectives; a module has 3 to 6")]


# -- module ids and completeness ------------------------------------------------------------

def test_id_must_match_folder_and_be_unique(write):
    write("m02/module.yaml", OUTLINE.replace("id: m02", "id: m01"))
    found = write.problems()
    assert ("m02/module.yaml", 1, "id: 'm01' must equal the folder name 'm02'") in found
    duplicate = [p for p in found if "duplicate module id 'm01'" in p[2]]
    assert [(f, line) for f, line, _ in duplicate] == [("m02/module.yaml", 1)]


def test_duplicate_order(write):
    write("m02/module.yaml", OUTLINE.replace("order: 2", "order: 1"))
    [(file, line, message)] = write.problems()
    assert (file, line) == ("m02/module.yaml", 2) and "duplicate module order 1" in message


def test_complete_module_needs_pages_quiz_and_reading(write):
    write("m02/module.yaml", OUTLINE.replace("status: outline", "status: complete"))
    assert write.problems() == [
        ("m02/module.yaml", 4,
         "status: a complete module lists at least 2 sources under further_reading"),
        ("m02/module.yaml", 4, "status: a complete module needs a quiz (quiz/en.yaml)"),
        ("m02/module.yaml", 4, "status: a complete module needs pages in pages/en/"),
    ]


def test_missing_module_yaml(write, modules):
    (modules / "m03").mkdir()
    assert write.problems() == [("m03/module.yaml", 1, "missing module.yaml")]


def test_not_a_folder_and_empty_folder(tmp_path):
    assert [p.message for p in check_modules(tmp_path / "nope")] == ["not a folder"]
    assert [p.message for p in check_modules(tmp_path)] == ["no module folders found"]


# -- translations ---------------------------------------------------------------------------

def test_pages_in_spanish_need_spanish_title_summary_objectives(write):
    write("m02/pages/es/01-uno.md", "---\nid: uno\ntitle: Uno\n---\n\nTexto.\n")
    write("m02/pages/en/01-uno.md", "---\nid: uno\ntitle: One\n---\n\nText.\n")
    assert write.problems() == [
        ("m02/module.yaml", 6, "title: missing 'es' translation (the module has pages/es/)"),
        ("m02/module.yaml", 8, "summary: missing 'es' translation (the module has pages/es/)"),
        ("m02/module.yaml", 10, "objectives: missing 'es' translation (the module has pages/es/)"),
    ]


def test_translated_pages_mirror_english_files_and_ids(write, modules):
    (modules / "m01/pages/es/03-in-practice.md").unlink()
    write("m01/pages/es/02-details.md", "---\nid: detalles\ntitle: Detalles\n---\n\nTexto.\n")
    write("m01/pages/es/04-extra.md", "---\nid: extra\ntitle: Extra\n---\n\nTexto.\n")
    found = write.problems()
    assert ("m01/pages/es", 1, "missing translation of pages/en/03-in-practice.md") in found
    assert ("m01/pages/es/02-details.md", 2,
            "id: id 'detalles' differs from pages/en/02-details.md ('details')") in found
    assert ("m01/pages/es/04-extra.md", 1, "no page with this file name in pages/en/") in found
    # the Spanish intro links to page:details, which no Spanish page has any more
    assert ("m01/pages/es/01-intro.md", 6,
            "broken link page:details: no page with that id in pages/es/") in found


def test_quiz_translation_must_mirror_ids_and_answers(write, modules):
    es = (modules / "m01/quiz/es.yaml").read_text(encoding="utf-8")
    es = es.replace("{id: b, text: Azul, correct: true,", "{id: b, text: Azul,")        # q01: no answer
    es = es.replace("{id: a, text: Verde,", "{id: a, text: Verde, correct: true,")      # q01: other answer
    es = es.replace("{id: d, text: Siete}", "{id: e, text: Siete}")                     # q02: option id
    es = es.replace("    answer: false\n", "    answer: true\n")                        # q07
    es = es.replace("      - {id: s2, text: Dos}\n      - {id: s3, text: Tres}\n",
                    "      - {id: s3, text: Tres}\n      - {id: s2, text: Dos}\n")      # q05 order
    es = es.replace("  - id: q10", "  - id: q11")
    write("m01/quiz/es.yaml", es)
    found = write.problems()
    assert [(f, line) for f, line, _ in found] == [
        ("m01/quiz/es.yaml", 2), ("m01/quiz/es.yaml", 3), ("m01/quiz/es.yaml", 16),
        ("m01/quiz/es.yaml", 20), ("m01/quiz/es.yaml", 44), ("m01/quiz/es.yaml", 62),
        ("m01/quiz/es.yaml", 81)]
    messages = [m for _, _, m in found]
    assert "missing translation of question(s) q10" in messages[0]
    assert "correct option(s) a differ from en.yaml (b)" in messages[1]
    assert "missing option(s) d from en.yaml" in messages[2]
    assert "option 'e' is not in en.yaml" in messages[3]
    assert "same (correct) order as en.yaml: s1, s2, s3, s4" in messages[4]
    assert "answer is true here but false in en.yaml" in messages[5]
    assert "question 'q11' is not in en.yaml" in messages[6]


def test_quiz_translation_without_english(write, modules):
    (modules / "m01/quiz/en.yaml").unlink()
    found = write.problems()
    assert ("m01/quiz/en.yaml", 1, "missing quiz/en.yaml: translations need the English quiz") in found
    assert ("m01/module.yaml", 4, "status: a complete module needs a quiz (quiz/en.yaml)") in found


# -- quizzes --------------------------------------------------------------------------------

QUIZ = """\
questions:
  - id: q01
    type: multiple
    prompt: Pick all.
    options:
      - {id: a, text: A}
      - {id: a, text: B}
    explanation: Nothing is right.
  - id: q02
    type: single
    prompt: Pick one.
    options:
      - {id: a, text: A}
      - {id: b, text: B}
    explanation: Nothing is right either.
  - id: q03
    type: matching
    prompt: Match.
    pairs:
      - {id: p1, left: L1, right: R}
      - {id: p2, left: L2, right: R}
      - {id: p3, left: L3, right: R3}
    explanation: Two right-hand texts are the same.
  - id: q04
    type: ordering
    prompt: Order.
    items:
      - {id: s1, text: One}
      - {id: s2, text: Two}
    explanation: Too few items.
  - id: q05
    type: true_false
    prompt: True?
    answer: true
    feedback:
      true: Yes.
      maybe: Hmm.
"""


def test_quiz_rules(write):
    write("m02/quiz/en.yaml", QUIZ)
    assert write.problems() == [
        ("m02/quiz/en.yaml", 2,
         "questions[0]: a multiple-choice question needs at least one correct option"),
        ("m02/quiz/en.yaml", 7, "questions[0].options[1].id: duplicate option id 'a'"),
        ("m02/quiz/en.yaml", 9,
         "questions[1]: a single-choice question needs exactly one correct option, found 0"),
        ("m02/quiz/en.yaml", 21, "questions[2].pairs[1].right: duplicate right-hand text 'R'"),
        ("m02/quiz/en.yaml", 27, "questions[3].items: needs at least 3 items, found 2"),
        ("m02/quiz/en.yaml", 31, "questions[4]: missing required field 'explanation'"),
        ("m02/quiz/en.yaml", 37, "questions[4].feedback: unknown field 'maybe'"),
    ]


def test_quiz_draw_larger_than_pool_and_unknown_type(write):
    write("m02/quiz/en.yaml", """\
        draw: 5
        questions:
          - id: q01
            type: essay
            prompt: Write.
            explanation: No.
        """)
    found = write.problems()
    assert found[0] == ("m02/quiz/en.yaml", 1, "draw: draw is 5 but there are only 1 questions")
    assert found[1][:2] == ("m02/quiz/en.yaml", 4) and "unknown question type 'essay'" in found[1][2]


def test_complete_quiz_needs_ten_questions_of_three_types(write, modules):
    en = (modules / "m01/quiz/en.yaml").read_text(encoding="utf-8")
    write("m01/quiz/en.yaml", "draw: 9\n" + en)
    write("m01/quiz/es.yaml", "draw: 9\n" + (modules / "m01/quiz/es.yaml").read_text(encoding="utf-8"))
    assert write.problems() == [
        ("m01/quiz/en.yaml", 1,
         "draw: a complete module's quiz has at least 10 questions per attempt, found 9"),
    ]


def test_unexpected_quiz_file(write):
    write("m02/quiz/en.yml", "questions: []\n")
    [(file, line, message)] = write.problems()
    assert file == "m02/quiz/en.yml" and "quiz files are <lang>.yaml" in message


# -- pages ----------------------------------------------------------------------------------

def test_front_matter_lines_are_offset(write):
    write("m01/pages/en/02-details.md", """\
        ---
        id: details
        title: Details
        summary: not a field
        ---

        Text.
        """)
    assert write.problems() == [("m01/pages/en/02-details.md", 4, "unknown field 'summary'")]


def test_front_matter_syntax_error_line(write):
    write("m01/pages/en/02-details.md", "---\nid: details\ntitle: [Details\n---\n\nText.\n")
    [(file, line, message)] = write.problems()
    assert (file, line) == ("m01/pages/en/02-details.md", 4) and message.startswith("YAML syntax error")


def test_page_without_front_matter(write):
    write("m01/pages/en/02-details.md", "# Details\n\nText.\n")
    found = write.problems()
    assert ("m01/pages/en/02-details.md", 1,
            "a page starts with a front matter block: '---', id and title, '---'") in found


def test_links_are_reported_on_their_own_line(write):
    write("m01/pages/en/02-details.md", """\
        ---
        id: details
        title: Details
        ---

        # A title heading

        - a list item
        - with [a bad page](page:missing) link
          and a second line with [a bad module](module:m42)

        | a | b |
        |---|---|
        | x | [plain http](http://example.org) |

        A [relative link](02-details.md), [a typo](pgae:intro) and ![an image](https://example.org/x.png).
        Fine: [mail](mailto:someone@example.org) and [anchor](#top).
        """)
    assert write.problems() == [
        ("m01/pages/en/02-details.md", 6, "headings inside a page start at '##' (the page title is the h1)"),
        ("m01/pages/en/02-details.md", 9, "broken link page:missing: no page with that id in pages/en/"),
        ("m01/pages/en/02-details.md", 10, "broken link module:m42: no such module"),
        ("m01/pages/en/02-details.md", 14, "external links must use https://: 'http://example.org'"),
        ("m01/pages/en/02-details.md", 16, "images from other hosts are not allowed: 'https://example.org/x.png'"),
        ("m01/pages/en/02-details.md", 16, "relative link '02-details.md': use page:<id> or module:<id>"),
        ("m01/pages/en/02-details.md", 16, "unknown link type 'pgae:' in 'pgae:intro' (use page:<id>, "
                                           "module:<id> or https://)"),
    ]


def test_page_file_names_and_language_folders(write):
    write("m01/pages/en/intro.md", "---\nid: other\ntitle: Other\n---\n")
    write("m01/pages/de/01-intro.md", "---\nid: intro\ntitle: Einleitung\n---\n")
    assert write.problems() == [
        ("m01/pages/de", 1, "unexpected entry in pages/: expected one folder per language (en, es, fr)"),
        ("m01/pages/en/intro.md", 1, "pages are files named NN-slug.md (e.g. 01-key-terms.md)"),
    ]


def test_collects_problems_across_all_files(write):
    write("m02/module.yaml", OUTLINE + "colour: blue\n")
    write("m01/pages/en/02-details.md", "---\nid: details\ntitle: Details\nx: 1\n---\n")
    write("m01/quiz/en.yaml", "questions: [\n")
    files = {f for f, _, _ in write.problems()}
    assert {"m02/module.yaml", "m01/pages/en/02-details.md", "m01/quiz/en.yaml"} <= files


def test_shipped_modules_are_valid():
    problems = check_modules(REPO_MODULES)
    assert problems == [], "\n".join(map(str, problems))
