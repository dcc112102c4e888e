"""The glossary (`modules/glossary.yaml`): one termbase in en, es and fr, read and checked once.

It serves three purposes, all decided here so they agree on what a term is:
- the learner's glossary page: entries in alphabetical order per language, grouped by letter;
- links from the first use of a term on each rendered page (`Glossary.linker`);
- warnings when a Spanish or French file uses a variant the termbase says to avoid
  (`Glossary.variant_warnings`, `Glossary.yaml_variant_warnings`).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .problems import Problem
from .render import TermLinker, glossary_note
from .schema import LANGUAGES, GlossaryFile, GlossaryTerm
from .yamlsrc import Source, parse, portability_problems, validate

GLOSSARY_FILE = "glossary.yaml"
#: translated files are checked for variants; English pages quote the words they teach people to avoid
CHECKED_LANGUAGES = ("es", "fr")
#: quotation marks: a variant between two of them is mentioned, not used
_QUOTES = "\"“”„«»‹›‘’'"
_SPACES = " \u00a0\u202f"


def _key(phrase: str) -> str:
    """How two spellings of a phrase compare: case, spacing and apostrophe style do not matter."""
    return " ".join(phrase.replace("’", "'").split()).casefold()


def _pieces(phrase: str) -> list[str]:
    """A phrase as regex pieces, one per character: any whitespace (line breaks too), either apostrophe."""
    pieces: list[str] = []
    for char in " ".join(phrase.replace("’", "'").split()).lower():
        pieces.append(r"\s+" if char == " " else "['’]" if char == "'" else re.escape(char))
    return pieces


def _trie_pattern(phrases: list[str]) -> str:
    """One regex for many phrases, shaped as a trie so a position fails on its first character.

    (An alternation of 400 phrases tries each one at every position: it made loading the curriculum
    twice as slow.) A phrase that ends where a longer one goes on makes the rest optional, and the
    regex engine tries the longer one first: leftmost, then longest.
    """
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for piece in _pieces(phrase):
            node = node.setdefault(piece, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [piece + pattern(child) for piece, child in node.items() if piece]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


@dataclass(frozen=True)
class Hit:
    """A phrase found in a text: where, which entry, and whether it is a variant to avoid."""

    start: int
    end: int
    term_id: str | None
    avoided: bool = False


class PhraseFinder:
    """Finds known phrases in a text: whole words, leftmost and then longest first, never overlapping.

    Phrases mapped to `None` (an entry's `exclude`) are found and consumed without a hit, so
    "regional integration" is not a use of "integration".
    """

    def __init__(self, phrases: Mapping[str, tuple[str | None, bool]], abbreviations: Mapping[str, str]):
        self._phrases = {_key(p): value for p, value in phrases.items()}
        self._abbreviations = dict(abbreviations)
        parts = [_trie_pattern(list(phrases))] if phrases else []
        parts += [f"(?-i:{re.escape(a)})" for a in sorted(abbreviations, key=lambda a: (-len(a), a))]
        self._regex = (re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
                       if parts else None)

    def hits(self, text: str) -> Iterator[Hit]:
        if self._regex is None:
            return
        for found in self._regex.finditer(text):
            matched = found.group(0)
            if matched in self._abbreviations:
                yield Hit(found.start(), found.end(), self._abbreviations[matched])
                continue
            term_id, avoided = self._phrases.get(_key(matched), (None, False))
            if term_id is not None:
                yield Hit(found.start(), found.end(), term_id, avoided)


@dataclass(frozen=True)
class EntryText:
    """What a learner reads of an entry in one language."""

    term: str
    abbr: str | None
    definition: str
    #: the preferred form, for variant warnings ("write ... instead")
    preferred: str


@dataclass(frozen=True)
class Entry:
    id: str
    modules: tuple[str, ...]
    see: tuple[str, ...]
    #: pages link the term only in these modules; None: in every module
    link_in: frozenset[str] | None
    texts: Mapping[str, EntryText] = field(repr=False)

    def text(self, lang: str) -> EntryText:
        return self.texts[lang]


@dataclass(frozen=True)
class Letter:
    """The entries of one initial letter, for the page's letter index."""

    letter: str
    anchor: str
    entries: tuple[Entry, ...]


def sort_key(text: str, lang: str) -> str:
    """Alphabetical order as a reader of `lang` expects: accents ignored, Spanish ñ after n."""
    out = []
    for char in text.casefold():
        if lang == "es" and char == "ñ":
            out.append("n\uffff")
            continue
        base = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(c for c in "".join(out) if c.isalnum() or c in " \uffff")


def _initial(text: str, lang: str) -> str:
    key = sort_key(text, lang)
    if key.startswith("n\uffff"):
        return "Ñ"
    return key[:1].upper() if key[:1].isalpha() else "#"


class Glossary:
    """The checked termbase, with its page order and its phrase finders built once at start-up."""

    def __init__(self, entries: Sequence[Entry], phrases: Mapping[str, Mapping[str, tuple[str | None, bool]]],
                 abbreviations: Mapping[str, Mapping[str, str]], file: Path):
        self.entries = tuple(entries)
        self.file = file
        self._by_id = {e.id: e for e in self.entries}
        self._finders = {lang: PhraseFinder(phrases[lang], abbreviations[lang]) for lang in LANGUAGES}
        self._letters = {lang: self._group(lang) for lang in LANGUAGES}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, term_id: str) -> Entry | None:
        return self._by_id.get(term_id)

    def letters(self, lang: str) -> list[Letter]:
        """Entries in alphabetical order of their `lang` headword, grouped by initial."""
        return self._letters[lang]

    def _group(self, lang: str) -> list[Letter]:
        ordered = sorted(self.entries, key=lambda e: (sort_key(e.text(lang).term, lang), e.id))
        groups: dict[str, list[Entry]] = {}
        for entry in ordered:
            groups.setdefault(_initial(entry.text(lang).term, lang), []).append(entry)
        return [Letter(letter, "letter-" + (sort_key(letter, lang).replace("\uffff", "-tilde") or "other"),
                       tuple(items)) for letter, items in groups.items()]

    # -- links from pages --------------------------------------------------------------------

    def linker(self, lang: str, module_id: str) -> TermLinker:
        """How pages of `module_id` in `lang` link terms: to the glossary page in the page's language.

        Pages are served at /l/<ref>/m/<module>/p/<page> and the glossary at /l/<ref>/glossary/<lang>,
        so the link is relative and works under any launch reference.
        """
        finder = self._finders[lang]

        def find(text: str) -> Iterator[tuple[int, int, str]]:
            for hit in finder.hits(text):
                entry = self._by_id.get(hit.term_id or "")
                if hit.avoided or entry is None:
                    continue
                if entry.link_in is not None and module_id not in entry.link_in:
                    continue
                yield hit.start, hit.end, entry.id

        return TermLinker(find=find, href=lambda term_id: f"../../../glossary/{lang}#{term_id}",
                          note=glossary_note(lang))

    # -- variants to avoid -------------------------------------------------------------------

    def variant_warnings(self, file: Path, text: str, lang: str, *, first_line: int = 1) -> list[Problem]:
        """Warnings for every avoided variant used (not quoted) in a text of `lang`."""
        if lang not in CHECKED_LANGUAGES:
            return []
        return [self._warning(file, first_line + text.count("\n", 0, start), text[start:end], term_id, lang)
                for start, end, term_id in self._variants(text, lang, 0, len(text))]

    def yaml_variant_warnings(self, src: Source, lang: str,
                              within: Callable[[tuple[str, ...]], bool] = lambda path: True) -> list[Problem]:
        """The same for the string values of a YAML file whose key path satisfies `within`.

        Each value is read from the source between its own quotes, so a quoted YAML string is not
        taken for a quotation and lines are exact even in folded text.
        """
        if lang not in CHECKED_LANGUAGES or src.node is None or not src.text:
            return []
        problems = []
        for node, path in _scalars(src.node, ()):
            if not within(path) or node.tag != "tag:yaml.org,2002:str":
                continue
            start, end = node.start_mark.index, node.end_mark.index
            if node.style in ('"', "'"):
                start, end = start + 1, end - 1
            elif node.style in ("|", ">"):
                newline = src.text.find("\n", start, end)
                start = end if newline < 0 else newline + 1
            for a, b, term_id in self._variants(src.text, lang, start, end):
                line = src.offset + src.text.count("\n", 0, a) + 1
                problems.append(self._warning(src.file, line, src.text[a:b], term_id, lang))
        return problems

    def _variants(self, text: str, lang: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
        part = text[start:end]
        for hit in self._finders[lang].hits(part):
            if hit.avoided and hit.term_id and not _quoted(part, hit.start, hit.end):
                yield start + hit.start, start + hit.end, hit.term_id

    def _warning(self, file: Path, line: int, used: str, term_id: str, lang: str) -> Problem:
        preferred = self._by_id[term_id].text(lang).preferred
        return Problem(file, line, f'"{" ".join(used.split())}": write "{preferred}" (glossary: {term_id})',
                       warning=True)


def _quoted(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip(_SPACES)[-1:]
    after = text[end:].lstrip(_SPACES)[:1]
    return bool(before) and bool(after) and before in _QUOTES and after in _QUOTES


def _scalars(node: yaml.Node, path: tuple[str, ...]) -> Iterator[tuple[yaml.ScalarNode, tuple[str, ...]]]:
    if isinstance(node, yaml.ScalarNode):
        yield node, path
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item, path)


# -- reading and checking ----------------------------------------------------------------------

def read_glossary(folder: Path, known_modules: set[str], *, thorough: bool = False
                  ) -> tuple[Glossary | None, list[Problem]]:
    """The glossary of a modules folder (None when it has none), and every problem in it."""
    file = folder / GLOSSARY_FILE
    if not file.exists():
        return None, []
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(file, 1, f"cannot read the glossary: {exc}")]
    src, problems = parse(file, text)
    if src is None:
        return None, problems
    if thorough:
        problems += portability_problems(file, text, src.data)
    model, invalid = validate(src, GlossaryFile)
    problems += invalid
    if model is None:
        return None, problems
    problems += _cross_rules(src, model.terms, known_modules)
    if problems:
        return None, problems
    return _build(model.terms, file), []


def _cross_rules(src: Source, terms: list[GlossaryTerm], known_modules: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, int] = {}
    for i, term in enumerate(terms):
        if term.id in ids:
            problems.append(src.problem(("terms", i, "id"), f"duplicate id '{term.id}' "
                                                            f"(also line {src.line(('terms', ids[term.id], 'id'))})"))
        ids.setdefault(term.id, i)
    for i, term in enumerate(terms):
        for name in ("modules", "link_in"):
            for j, module_id in enumerate(getattr(term, name) or []):
                if module_id not in known_modules:
                    problems.append(src.problem(("terms", i, name, j), f"no module '{module_id}' in this folder"))
        for j, other in enumerate(term.see):
            if other not in ids or other == term.id:
                what = "an entry cannot refer to itself" if other == term.id else f"no entry with id '{other}'"
                problems.append(src.problem(("terms", i, "see", j), what))
    for lang in LANGUAGES:
        owner: dict[str, tuple[str, int]] = {}
        for i, term in enumerate(terms):
            text = term.text(lang)
            named = [("term", None, text.term), *(("forms", j, p) for j, p in enumerate(text.forms)),
                     *(("match", j, p) for j, p in enumerate(text.match or []))]
            if text.abbr:
                named.append(("abbr", None, text.abbr))
            for name, j, phrase in named:
                key = text.abbr if name == "abbr" else _key(phrase)
                where = ("terms", i, lang, name) if j is None else ("terms", i, lang, name, j)
                found = owner.get(("abbr:" if name == "abbr" else "") + key)
                if found is not None and found[0] != term.id:
                    problems.append(src.problem(where, f"'{phrase}' is also an {lang} form of '{found[0]}' "
                                                       f"(line {found[1]}): one phrase, one entry"))
                owner.setdefault(("abbr:" if name == "abbr" else "") + key, (term.id, src.line(where)))
        for i, term in enumerate(terms):
            text = term.text(lang)
            for name in ("avoid", "exclude"):
                for j, phrase in enumerate(getattr(text, name)):
                    found = owner.get(_key(phrase))
                    if found is not None:
                        problems.append(src.problem(("terms", i, lang, name, j),
                                                    f"'{phrase}' is a preferred {lang} form of '{found[0]}'"))
    return problems


def _build(terms: list[GlossaryTerm], file: Path) -> Glossary:
    entries = []
    phrases: dict[str, dict[str, tuple[str | None, bool]]] = {lang: {} for lang in LANGUAGES}
    abbreviations: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for term in terms:
        texts = {}
        for lang in LANGUAGES:
            text = term.text(lang)
            texts[lang] = EntryText(term=text.term, abbr=text.abbr, definition=" ".join(text.definition.split()),
                                    preferred=text.term)
            for phrase in text.exclude:
                phrases[lang].setdefault(phrase, (None, False))
            for phrase in text.avoid:
                phrases[lang].setdefault(phrase, (term.id, True))
            linked = text.match if text.match is not None else [text.term, *text.forms]
            for phrase in linked:
                phrases[lang][phrase] = (term.id, False)
            if text.match is not None:
                # other forms still count as preferred (never reported), they just are not linked
                for phrase in [text.term, *text.forms]:
                    phrases[lang].setdefault(phrase, (None, False))
            elif text.abbr:
                abbreviations[lang][text.abbr] = term.id
        entries.append(Entry(id=term.id, modules=tuple(term.modules), see=tuple(term.see),
                             link_in=frozenset(term.link_in) if term.link_in is not None else None,
                             texts=texts))
    return Glossary(entries, phrases, abbreviations, file)
