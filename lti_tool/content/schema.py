"""Pydantic models of the content files (modules/README.md is the contract they encode).

These models check the shape of one file at a time; rules that need more than one file
(translations, links, duplicate ids across folders) live in `loader.py`.
"""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

LANGUAGES: tuple[str, ...] = ("en", "es", "fr")
DEFAULT_LANG = "en"

#: ids end up in URLs and HTML attributes, so they stay plain.
SLUG = r"^[a-z0-9][a-z0-9-]*$"
QUIZ_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG)]
QuizId = Annotated[str, StringConstraints(pattern=QUIZ_ID)]


class _Strict(BaseModel):
    """Every content model refuses fields it does not know, so typos surface as errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(StrEnum):
    FOUNDATIONS = "foundations"
    POLICY_CYCLE = "policy-cycle"
    THEMATIC = "thematic"


class Status(StrEnum):
    COMPLETE = "complete"
    OUTLINE = "outline"


class Grading(StrEnum):
    BEST = "best"
    LAST = "last"


class CompletionRule(StrEnum):
    """What a learner must do for a module to count as completed (a row of `courses.models.Completion` records it)."""
    PAGES_AND_QUIZ = "pages_and_quiz"
    QUIZ = "quiz"
    PAGES = "pages"


class ShowAnswers(StrEnum):
    """When a result page may show the right answers (explanations of own mistakes always show)."""

    AFTER_PASS = "after_pass"
    AFTER_LAST_ATTEMPT = "after_last_attempt"
    ALWAYS = "always"


class QuestionKind(StrEnum):
    """Recall asks what the module said; application asks for a decision in a case, with its reason."""

    RECALL = "recall"
    APPLICATION = "application"


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    MATCHING = "matching"
    ORDERING = "ordering"


class TranslatedText(_Strict):
    """A field shown to learners: English is required, Spanish and French are optional."""

    en: Text
    es: Text | None = None
    fr: Text | None = None

    def get(self, lang: str) -> str | None:
        return getattr(self, lang, None)


class TranslatedList(_Strict):
    """A translated list of sentences (learning objectives)."""

    en: list[Text] = Field(min_length=1)
    es: list[Text] | None = None
    fr: list[Text] | None = None

    def get(self, lang: str) -> list[str] | None:
        return getattr(self, lang, None)


HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://\S+$")]


class ReadingEdition(_Strict):
    """An official translation of a source: its own title, and its own address when it has one."""

    title: Text
    url: HttpsUrl | None = None


class Reading(_Strict):
    title: Text
    publisher: Text | None = None
    year: int | None = Field(default=None, ge=1800, le=2100)
    url: HttpsUrl
    es: ReadingEdition | None = None
    fr: ReadingEdition | None = None

    def edition(self, lang: str) -> tuple[str, str, str]:
        """Title, address and language of the edition to show a learner reading in `lang`."""
        translated = getattr(self, lang, None) if lang in ("es", "fr") else None
        if isinstance(translated, ReadingEdition):
            return translated.title, translated.url or self.url, lang
        return self.title, self.url, DEFAULT_LANG


class ModuleFile(_Strict):
    """`module.yaml`."""

    id: Slug
    order: int = Field(ge=1)
    section: Section
    status: Status
    minutes: int = Field(ge=1)
    title: TranslatedText
    summary: TranslatedText
    objectives: TranslatedList
    pass_mark: int = Field(default=70, ge=0, le=100)
    attempts: int = Field(default=3, ge=0)
    grading: Grading = Grading.BEST
    completion: CompletionRule = CompletionRule.PAGES_AND_QUIZ
    show_answers: ShowAnswers = ShowAnswers.AFTER_LAST_ATTEMPT
    #: hours after an attempt is opened when it is scored as it stands (its saved answers); none by default
    deadline_hours: int | None = Field(default=None, ge=1, le=24 * 90)
    #: the day the facts were last checked against their sources
    reviewed: date | None = None
    further_reading: list[Reading] = []


class PageFrontMatter(_Strict):
    """The YAML block at the top of a page."""

    id: Slug
    title: Text


class Option(_Strict):
    id: QuizId
    text: Text
    correct: bool = False
    feedback: Text | None = None


class Pair(_Strict):
    id: QuizId
    left: Text
    right: Text


class Item(_Strict):
    id: QuizId
    text: Text


class TrueFalseFeedback(_Strict):
    true: Text | None = None
    false: Text | None = None

    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads the keys `true:` and `false:` as booleans.
        if isinstance(value, dict):
            return {(str(k).lower() if isinstance(k, bool) else k): v for k, v in value.items()}
        return value


class _Question(_Strict):
    id: QuizId
    points: int = Field(default=1, ge=1, le=5)
    #: 1-based number of the module objective the question assesses
    objective: int | None = Field(default=None, ge=1)
    kind: QuestionKind = QuestionKind.RECALL
    prompt: Text
    explanation: Text


class SingleQuestion(_Question):
    type: Literal["single"]
    options: list[Option] = Field(min_length=2)


class MultipleQuestion(_Question):
    type: Literal["multiple"]
    options: list[Option] = Field(min_length=2)


class TrueFalseQuestion(_Question):
    type: Literal["true_false"]
    answer: bool
    feedback: TrueFalseFeedback | None = None

    @field_validator("feedback", mode="before")
    @classmethod
    def _feedback_keys(cls, value: Any) -> Any:
        return TrueFalseFeedback._keys_as_text(value)


class MatchingQuestion(_Question):
    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=3)


class OrderingQuestion(_Question):
    type: Literal["ordering"]
    items: list[Item] = Field(min_length=3)


AnyQuestion = SingleQuestion | MultipleQuestion | TrueFalseQuestion | MatchingQuestion | OrderingQuestion
Question = Annotated[AnyQuestion, Field(discriminator="type")]


class QuizFile(_Strict):
    """`quiz/<lang>.yaml`."""

    draw: int | None = Field(default=None, ge=1)
    shuffle: bool = True
    questions: list[Question] = Field(min_length=1)


# -- the glossary (modules/glossary.yaml) ----------------------------------------------------------

#: a definition is one or two sentences for officials, not an essay
DEFINITION_MAX = 480

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
Abbreviation = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9.]{1,11}$")]


class GlossaryText(_Strict):
    """One language of a glossary entry: the preferred form, the other forms, what to avoid."""

    #: the preferred form, shown as the entry's headword
    term: Phrase
    abbr: Abbreviation | None = None
    #: other accepted forms (plurals, short forms), linked like the term
    forms: list[Phrase] = []
    #: when given, pages link only these phrases (for words that are also everyday words)
    match: list[Phrase] | None = None
    #: phrases that contain a form but mean something else ("regional integration")
    exclude: list[Phrase] = []
    #: non-preferred variants: `modules check` warns when a translated page uses one
    avoid: list[Phrase] = []
    #: the official text the preferred form follows
    source: Text | None = None
    definition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=DEFINITION_MAX)]


class GlossaryTerm(_Strict):
    id: Slug
    #: the modules where the term matters (the glossary page links to them)
    modules: list[Slug] = Field(min_length=1)
    see: list[Slug] = []
    #: pages link the term only in these modules (default: every module)
    link_in: list[Slug] | None = None
    #: for writers and translators; never shown to learners
    note: Text | None = None
    en: GlossaryText
    es: GlossaryText
    fr: GlossaryText

    def text(self, lang: str) -> GlossaryText:
        return getattr(self, lang)


class GlossaryFile(_Strict):
    """`glossary.yaml`."""

    terms: list[GlossaryTerm] = Field(min_length=1)
