"""The language a learner took a module in, as recorded with its completion and score.

Content falls back to English per module, so the interface language is not enough: a learner
with a Spanish interface takes an English-only module in English. What counts is the content
shown: the quiz's language when the learner took the quiz, otherwise the pages'.
"""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from ..content import Module, normalize_lang
from ..content.schema import DEFAULT_LANG

#: how the (English) gradebook comment names a language
LANGUAGE_NAMES_EN = {"en": "English", "es": "Spanish", "fr": "French"}


def quiz_language(module: Module, attempt: Any) -> str:
    """The language `attempt`'s questions were shown in (English when the quiz is not translated)."""
    quiz = module.quiz(attempt.lang or DEFAULT_LANG)
    return quiz.lang if quiz is not None else DEFAULT_LANG


def taken_in(module: Module, attempt: Any | None, participant: Any | None = None) -> str:
    """The language of the quiz attempt when there is one, else of the pages as this learner sees them."""
    if attempt is not None:
        return quiz_language(module, attempt)
    launch = g.get("launch") if has_request_context() else None
    locale = launch.locale if launch is not None else getattr(participant, "chosen_locale", None)
    return module.pages(normalize_lang(locale))[1]
