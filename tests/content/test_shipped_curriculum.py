"""The shipped curriculum as a product: complete, free of quiz clues, and not passable by guessing.

These tests read the curriculum learners get (not a fixture): they are its quality gate, as
`emm-lti modules check --strict` and `bench/guessing.py` are for writers.
"""
from __future__ import annotations

import pytest

from lti_tool.content import load_catalogue
from lti_tool.content.loader import load_modules
from lti_tool.paths import modules_dir
from lti_tool.quizzes.guessing import expected_scores

CATALOGUE = load_catalogue(modules_dir())


def test_every_module_is_complete_with_no_error_and_no_quality_warning():
    loaded = load_modules(modules_dir(), thorough=True)
    assert loaded.problems == [] and loaded.warnings == [], [str(p) for p in loaded.problems + loaded.warnings]
    assert [m.id for m in loaded.modules if not m.is_complete] == []
    assert all(m.reviewed is not None for m in loaded.modules)


@pytest.mark.parametrize("module", [m.id for m in CATALOGUE])
def test_guessing_scores_about_chance_and_almost_never_passes(module):
    found = CATALOGUE.get(module)
    chance, clues = expected_scores(found.quiz("en"), found.pass_mark, papers=150)
    assert clues.mean_percent < chance.mean_percent + 8, (clues, chance)
    # a lucky draw can pass by chance alone (about 1 paper in 200 here); the tricks must not help
    assert clues.pass_rate <= 0.02 and chance.pass_rate <= 0.02, (clues, chance)
