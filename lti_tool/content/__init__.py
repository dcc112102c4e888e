"""The curriculum: module folders read, checked and rendered once (no Flask in here).

Views use `load_catalogue` at startup and the read-only `Catalogue` afterwards; operators use
`check_modules` through `emm-lti modules check`.
"""
from __future__ import annotations

from .catalogue import load_catalogue
from .check import check_modules
from .models import Catalogue, Localized, Module, Page, normalize_lang
from .problems import ContentInvalid, Problem
from .quiz import Choice, MatchPair, OrderItem, QuizContent, QuizQuestion
from .schema import LANGUAGES, CompletionRule, Grading, QuestionType, Section, Status

__all__ = [
    "LANGUAGES", "Catalogue", "Choice", "CompletionRule", "ContentInvalid", "Grading", "Localized",
    "MatchPair", "Module", "OrderItem", "Page", "Problem", "QuestionType", "QuizContent",
    "QuizQuestion", "Section", "Status", "check_modules", "load_catalogue", "normalize_lang",
]
