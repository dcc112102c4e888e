"""The loaded curriculum: read-only objects the views ask for text in a language."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

from .glossary import Glossary
from .quiz import QuizContent
from .schema import (
    DEFAULT_LANG,
    LANGUAGES,
    CompletionRule,
    Grading,
    Reading,
    Section,
    ShowAnswers,
    Status,
    TranslatedList,
    TranslatedText,
)

T = TypeVar("T")


def normalize_lang(tag: str | None) -> str:
    """Map a locale such as 'es-419' or 'fr_CA' to a content language, English when unsupported."""
    primary = (tag or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGUAGES else DEFAULT_LANG


@dataclass(frozen=True)
class Localized(Generic[T]):
    """Text plus the language it is really in, so the UI can say 'shown in English'."""

    text: T
    lang: str
    requested: str

    @property
    def fallback(self) -> bool:
        """True when the requested language was missing and another was used."""
        return self.lang != self.requested

    def __str__(self) -> str:
        return str(self.text)


@dataclass(frozen=True)
class Page:
    """One rendered page; `index` is its 0-based position in the module."""

    id: str
    title: str
    html: str
    index: int
    word_count: int
    lang: str
    file: Path = field(repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class Module:
    id: str
    order: int
    section: Section
    status: Status
    minutes: int
    pass_mark: int
    attempts: int
    grading: Grading
    completion: CompletionRule
    further_reading: tuple[Reading, ...]
    show_answers: ShowAnswers = field(default=ShowAnswers.AFTER_LAST_ATTEMPT, kw_only=True)
    deadline_hours: int | None = field(default=None, kw_only=True)
    reviewed: date | None = field(default=None, kw_only=True)
    folder: Path = field(repr=False)
    texts: Mapping[str, TranslatedText] = field(repr=False)   # title, summary
    objective_texts: TranslatedList = field(repr=False)
    page_sets: Mapping[str, tuple[Page, ...]] = field(repr=False)   # lang -> pages
    quizzes: Mapping[str, QuizContent] = field(repr=False)          # lang -> quiz

    def title(self, lang: str) -> Localized[str]:
        return self._text("title", lang)

    def summary(self, lang: str) -> Localized[str]:
        return self._text("summary", lang)

    def objectives(self, lang: str) -> Localized[list[str]]:
        lang = normalize_lang(lang)
        value = self.objective_texts.get(lang)
        if value:
            return Localized(list(value), lang, lang)
        return Localized(list(self.objective_texts.en), DEFAULT_LANG, lang)

    @property
    def is_complete(self) -> bool:
        return self.status is Status.COMPLETE

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages the pages are written in (English first); empty for an outline."""
        return tuple(lang for lang in LANGUAGES if self.page_sets.get(lang))

    @property
    def quiz_languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang in self.quizzes)

    def pages(self, lang: str) -> tuple[list[Page], str]:
        """The pages in `lang` if translated, else in English; the second item is the language used."""
        lang = normalize_lang(lang)
        if self.page_sets.get(lang):
            return list(self.page_sets[lang]), lang
        return list(self.page_sets.get(DEFAULT_LANG, ())), DEFAULT_LANG

    def page(self, page_id: str, lang: str) -> tuple[Page | None, str]:
        """One page by id (None when there is no such page) and the language it is in."""
        pages, used = self.pages(lang)
        return next((p for p in pages if p.id == page_id), None), used

    def quiz(self, lang: str) -> QuizContent | None:
        """The quiz with text in `lang` when translated, else English; None when there is no quiz."""
        lang = normalize_lang(lang)
        return self.quizzes.get(lang) or self.quizzes.get(DEFAULT_LANG)

    def _text(self, name: str, lang: str) -> Localized[str]:
        lang = normalize_lang(lang)
        translated = self.texts[name]
        value = translated.get(lang)
        if value:
            return Localized(value, lang, lang)
        return Localized(translated.en, DEFAULT_LANG, lang)


@dataclass(frozen=True)
class Catalogue:
    """Every module, ordered by `order`; built once at startup and shared read-only."""

    modules: tuple[Module, ...]
    path: Path
    #: the termbase and glossary page; None when the curriculum has no glossary.yaml
    glossary: Glossary | None = None
    _by_id: dict[str, Module] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {m.id: m for m in self.modules})

    def get(self, module_id: str) -> Module | None:
        return self._by_id.get(module_id)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __len__(self) -> int:
        return len(self.modules)

    def section(self, section: Section | str) -> list[Module]:
        """The modules of one section, in catalogue order."""
        return [m for m in self.modules if m.section == section]
