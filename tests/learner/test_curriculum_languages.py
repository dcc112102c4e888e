"""The whole curriculum in Spanish and French: every module's pages render in the learner's language
(with `lang` right and no English fallback notice), every quiz is translated, and a translated quiz
scores the same answers exactly as the English one does.

These read the shipped curriculum on purpose: they check that the product is whole in each language.
"""
from __future__ import annotations

import random
import re

import pytest
from flask import Flask
from learner_helpers import Learner
from lti_helpers import Launcher

from lti_tool.content import load_catalogue
from lti_tool.paths import modules_dir
from lti_tool.quizzes.answers import Answers
from lti_tool.quizzes.guessing import guess_at_random
from lti_tool.quizzes.paper import draw_paper
from lti_tool.quizzes.scoring import score

CATALOGUE = load_catalogue(modules_dir())
MODULES = [m.id for m in CATALOGUE]
PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
FALLBACK_NOTICE = {"es": "se muestra en inglés", "fr": "affiché en anglais"}


@pytest.mark.parametrize("lang", ["es", "fr"])
@pytest.mark.parametrize("module_id", MODULES)
def test_every_module_is_whole_in_the_language(module_id: str, lang: str) -> None:
    module = CATALOGUE.get(module_id)
    assert module.title(lang).lang == lang and module.summary(lang).lang == lang
    assert module.objectives(lang).lang == lang
    pages, used = module.pages(lang)
    english, _ = module.pages("en")
    assert used == lang and [p.id for p in pages] == [p.id for p in english]
    quiz = module.quiz(lang)
    assert quiz is not None and quiz.lang == lang
    assert [q.id for q in quiz.questions] == [q.id for q in module.quiz("en").questions]


@pytest.mark.parametrize("lang", ["es", "fr"])
@pytest.mark.parametrize("module_id", MODULES)
def test_a_translated_quiz_scores_the_same_answers_identically(module_id: str, lang: str) -> None:
    module = CATALOGUE.get(module_id)
    english, translated = module.quiz("en"), module.quiz(lang)
    rng = random.Random(module_id + lang)
    for seed in range(20):
        paper = draw_paper(english, seed)
        assert draw_paper(translated, seed) == paper     # the same questions, in the same order
        answers = Answers({pq.id: guess_at_random(english.question(pq.id), rng) for pq in paper.questions})
        ours, theirs = score(english, paper, answers, module.pass_mark), score(translated, paper, answers,
                                                                              module.pass_mark)
        assert (theirs.points, theirs.percent, theirs.passed) == (ours.points, ours.percent, ours.passed)
        assert [r.earned for r in theirs.questions] == [r.earned for r in ours.questions]


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_every_page_renders_in_the_language_without_a_fallback(launcher: Launcher, app: Flask, lang: str) -> None:
    learner = Learner.launch(launcher, sub=f"whole-{lang}", **{PRESENTATION: {"locale": lang}})
    for module in CATALOGUE:
        overview = learner.get(f"/m/{module.id}/").text
        assert f'<html lang="{lang}">' in overview, module.id
        assert FALLBACK_NOTICE[lang] not in overview, module.id
        for page in module.pages(lang)[0]:
            html = learner.get(f"/m/{module.id}/p/{page.id}").text
            assert f'<html lang="{lang}">' in html and '<article class="page">' in html, (module.id, page.id)
            assert FALLBACK_NOTICE[lang] not in html, (module.id, page.id)
            assert not re.search(r'<article class="page" lang="en"', html)
