"""Read every module folder once: build the runtime objects and collect every problem on the way.

`check_modules` and `load_catalogue` both call `load_modules`, so the app refuses exactly what
`emm-lti modules check` reports.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from .glossary import Glossary, read_glossary
from .models import Module, Page
from .problems import Problem
from .quality import ModuleFacts, duplicate_prompts, quiz_warnings
from .quiz import QuizContent, build_quiz
from .quizcheck import check_complete_quiz, check_objective_tags, check_quiz, check_translation
from .render import Rendered, new_tab_note, render_markdown
from .schema import DEFAULT_LANG, LANGUAGES, ModuleFile, PageFrontMatter, QuizFile, Status
from .yamlsrc import Source, parse, portability_problems, validate

log = logging.getLogger(__name__)

PAGE_FILE = re.compile(r"^\d{2}-[a-z0-9-]+\.md$")
_RAW_ID = re.compile(r"^id:\s*['\"]?([^\s'\"#]+)", re.MULTILINE)
PAGES_PER_MODULE = (3, 6)
OBJECTIVES_PER_MODULE = (3, 6)
MIN_READING = 2
#: how render.py marks the "## In practice" section of a page (its heading id)
PRACTICE_HEADING = 'id="in-practice"'
#: the translated fields of module.yaml that learners read
TRANSLATED_FIELDS = ("title", "summary", "objectives")


@dataclass
class Loaded:
    """The outcome of reading a modules folder: modules (ordered), every error and quality warning."""

    modules: list[Module]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    glossary: Glossary | None = None


def load_modules(path: Path, *, thorough: bool = False) -> Loaded:
    """Read, validate and render every module under `path`; never stops at the first problem.

    `thorough` (what `modules check` asks for) also parses every YAML file with PyYAML's
    pure-Python parser and reports files it reads differently; the app skips that at start-up.
    """
    if not path.is_dir():
        return Loaded([], [Problem(path, 1, "not a folder")])
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    problems: list[Problem] = []
    if not folders:
        problems.append(Problem(path, 1, "no module folders found"))
    known = {folder.name for folder in folders}
    # first: pages link their terms to it, and translated files are checked against it
    glossary, glossary_problems = read_glossary(path, known, thorough=thorough)
    problems += glossary_problems
    drafts = [_ModuleReader(folder, known, thorough, glossary).read() for folder in folders]
    warnings: list[Problem] = []
    for draft in drafts:
        problems += draft.problems
        warnings += draft.warnings
    problems += _cross_module(drafts)
    warnings += duplicate_prompts(d.en_quiz for d in drafts if d.en_quiz)
    modules = sorted((d.module for d in drafts if d.module), key=lambda m: (m.order, m.id))
    log.debug("read %d module folders under %s: %d problems", len(folders), path, len(problems))
    return Loaded(modules, _sorted(problems), _sorted(warnings), glossary)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=lambda p: (str(p.file), p.line, p.message))


@dataclass
class _PageDraft:
    file: Path
    front: PageFrontMatter | None
    src: Source | None
    rendered: Rendered | None
    #: the id as written, even in invalid front matter, so links to the page are not reported too
    raw_id: str | None = None


@dataclass
class _Draft:
    folder: Path
    meta_src: Source | None = None
    module: Module | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    en_quiz: tuple[Source, QuizFile] | None = None


class _ModuleReader:
    """Reads one module folder; keeps going after each problem so all are reported together."""

    def __init__(self, folder: Path, known_modules: set[str], thorough: bool = False,
                 glossary: Glossary | None = None):
        self.folder = folder
        self.known_modules = known_modules
        self.thorough = thorough
        self.glossary = glossary
        self.draft = _Draft(folder)
        self.problems = self.draft.problems

    def read(self) -> _Draft:
        meta, src = self._meta()
        pages = self._pages()
        quizzes, en_quiz_src = self._quizzes()
        if src is not None and isinstance(src.data, dict):
            self._meta_rules(src, pages, en_quiz_src)
        if meta is not None and meta.status is Status.COMPLETE and self.draft.en_quiz:
            quiz_src, quiz = self.draft.en_quiz
            english = [d.rendered for d in pages.get(DEFAULT_LANG, []) if d.rendered]
            self.draft.warnings += quiz_warnings(quiz_src, quiz, ModuleFacts(
                objectives=len(meta.objectives.en), declared_minutes=meta.minutes,
                reviewed=meta.reviewed is not None, words=sum(r.word_count for r in english),
                practice=sum(PRACTICE_HEADING in r.html for r in english)))
        if meta is not None:
            self.draft.module = Module(
                id=meta.id, order=meta.order, section=meta.section, status=meta.status,
                minutes=meta.minutes, pass_mark=meta.pass_mark, attempts=meta.attempts,
                grading=meta.grading, completion=meta.completion, show_answers=meta.show_answers,
                deadline_hours=meta.deadline_hours,
                reviewed=meta.reviewed, further_reading=tuple(meta.further_reading), folder=self.folder,
                texts={"title": meta.title, "summary": meta.summary},
                objective_texts=meta.objectives,
                page_sets={lang: tuple(_page(d, lang, i)
                                       for i, d in enumerate(x for x in drafts if x.front))
                           for lang, drafts in pages.items()},
                quizzes=quizzes,
            )
        self.draft.meta_src = src
        return self.draft

    # -- module.yaml -------------------------------------------------------------------------

    def _meta(self) -> tuple[ModuleFile | None, Source | None]:
        file = self.folder / "module.yaml"
        if not file.is_file():
            self.problems.append(Problem(file, 1, "missing module.yaml"))
            return None, None
        src = self._yaml(file)
        if src is None:
            return None, None
        meta, problems = validate(src, ModuleFile)
        self.problems.extend(problems)
        if self.glossary is not None:
            for lang in LANGUAGES:
                self.draft.warnings += self.glossary.yaml_variant_warnings(
                    src, lang, lambda path, lang=lang: path[1:2] == (lang,) and path[0] in TRANSLATED_FIELDS)
        return meta, src

    # The rules below read the raw data, so they still run when another field is invalid.

    def _meta_rules(self, src: Source, pages: dict[str, list[_PageDraft]],
                    en_quiz_src: Source | None) -> None:
        data: dict = src.data
        if isinstance(data.get("id"), str) and data["id"] != self.folder.name:
            self.problems.append(src.problem(("id",), f"'{data['id']}' must equal the folder name "
                                                      f"'{self.folder.name}'"))
        for lang in pages:
            if lang == DEFAULT_LANG or not pages[lang]:
                continue
            for name in ("title", "summary", "objectives"):
                if isinstance(data.get(name), dict) and not data[name].get(lang):
                    self.problems.append(src.problem((name,), f"missing '{lang}' translation "
                                                              f"(the module has pages/{lang}/)"))
        objectives = data.get("objectives") if isinstance(data.get("objectives"), dict) else {}
        english = objectives.get(DEFAULT_LANG)
        low, high = OBJECTIVES_PER_MODULE
        for lang, items in objectives.items():
            if lang not in LANGUAGES or not isinstance(items, list):
                continue
            if not low <= len(items) <= high:
                self.problems.append(src.problem(("objectives", lang), f"{len(items)} objectives; "
                                                                       f"a module has {low} to {high}"))
            elif lang != DEFAULT_LANG and isinstance(english, list) and len(items) != len(english):
                self.problems.append(src.problem(("objectives", lang), f"{len(items)} objectives but "
                                                                       f"{len(english)} in en"))
        if isinstance(english, list) and en_quiz_src is not None:
            self.problems.extend(check_objective_tags(en_quiz_src, len(english),
                                                      complete=data.get("status") == Status.COMPLETE))
        if data.get("status") == Status.COMPLETE:
            self._complete_rules(src, pages, en_quiz_src)

    def _complete_rules(self, src: Source, pages: dict[str, list[_PageDraft]],
                        en_quiz_src: Source | None) -> None:
        count = len(pages.get(DEFAULT_LANG, []))
        low, high = PAGES_PER_MODULE
        if count == 0:
            self.problems.append(src.problem(("status",), "a complete module needs pages in pages/en/"))
        elif not low <= count <= high:
            self.problems.append(src.problem(("status",), f"a complete module has {low} to {high} "
                                                          f"pages, pages/en/ has {count}"))
        if not (self.folder / "quiz" / "en.yaml").is_file():
            self.problems.append(src.problem(("status",), "a complete module needs a quiz "
                                                          "(quiz/en.yaml)"))
        elif en_quiz_src is not None:
            self.problems.extend(check_complete_quiz(en_quiz_src))
        reading = src.data.get("further_reading")
        if not isinstance(reading, list) or len(reading) < MIN_READING:
            where = ("further_reading",) if reading is not None else ("status",)
            self.problems.append(src.problem(where, f"a complete module lists at least {MIN_READING} "
                                                    f"sources under further_reading"))

    # -- pages -------------------------------------------------------------------------------

    def _pages(self) -> dict[str, list[_PageDraft]]:
        root = self.folder / "pages"
        found: dict[str, list[_PageDraft]] = {}
        if not root.is_dir():
            return found
        for entry in sorted(root.iterdir()):
            if entry.name.startswith("."):
                continue
            if not entry.is_dir() or entry.name not in LANGUAGES:
                self.problems.append(Problem(entry, 1, f"unexpected entry in pages/: expected one "
                                                       f"folder per language ({', '.join(LANGUAGES)})"))
                continue
            found[entry.name] = [self._page(f, entry.name) for f in self._page_files(entry)]
        for lang, drafts in found.items():
            self._page_ids(lang, drafts)
        self._page_translations(root, found)
        for lang, drafts in found.items():
            self._links(lang, drafts)
        return found

    def _page_files(self, folder: Path) -> list[Path]:
        files = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("."):
                continue
            if entry.is_file() and PAGE_FILE.match(entry.name):
                files.append(entry)
            else:
                self.problems.append(Problem(entry, 1, "pages are files named NN-slug.md "
                                                       "(e.g. 01-key-terms.md)"))
        return files

    def _page(self, file: Path, lang: str) -> _PageDraft:
        text = self._read(file)
        if text is None:
            return _PageDraft(file, None, None, None)
        if self.glossary is not None:
            self.draft.warnings += self.glossary.variant_warnings(file, text, lang)
        lines = text.splitlines(keepends=True)
        if not lines or lines[0].strip() != "---":
            self.problems.append(Problem(file, 1, "a page starts with a front matter block: "
                                                  "'---', id and title, '---'"))
            return _PageDraft(file, None, None, self._body(file, text, 1, lang))
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
        if end is None:
            self.problems.append(Problem(file, 1, "front matter is not closed with '---'"))
            return _PageDraft(file, None, None, None)
        src, problems = parse(file, "".join(lines[1:end]), offset=1)
        self.problems.extend(problems)
        if self.thorough and src is not None:
            self.problems.extend(portability_problems(file, "".join(lines[1:end]), src.data, offset=1))
        front = None
        if src is not None:
            front, problems = validate(src, PageFrontMatter)
            self.problems.extend(problems)
        raw_id = _RAW_ID.search("".join(lines[1:end]))
        rendered = self._body(file, "".join(lines[end + 1:]), end + 2, lang)
        return _PageDraft(file, front, src, rendered, raw_id.group(1) if raw_id else None)

    def _body(self, file: Path, text: str, first_line: int, lang: str) -> Rendered:
        terms = self.glossary.linker(lang, self.folder.name) if self.glossary is not None else None
        rendered = render_markdown(text, first_line=first_line, new_tab_note=new_tab_note(lang), terms=terms)
        self.problems.extend(Problem(file, line, message) for line, message in rendered.problems)
        return rendered

    def _page_ids(self, lang: str, drafts: list[_PageDraft]) -> None:
        seen: dict[str, Path] = {}
        for d in drafts:
            if d.front is None or d.src is None:
                continue
            if d.front.id in seen:
                self.problems.append(d.src.problem(("id",), f"duplicate page id '{d.front.id}' "
                                                            f"(also {seen[d.front.id].name})"))
            else:
                seen[d.front.id] = d.file

    def _page_translations(self, root: Path, found: dict[str, list[_PageDraft]]) -> None:
        english = {d.file.name: d for d in found.get(DEFAULT_LANG, [])}
        for lang, drafts in found.items():
            if lang == DEFAULT_LANG:
                continue
            names = {d.file.name for d in drafts}
            for name in english:
                if name not in names:
                    self.problems.append(Problem(root / lang, 1, f"missing translation of "
                                                                 f"pages/en/{name}"))
            for d in drafts:
                original = english.get(d.file.name)
                if original is None:
                    self.problems.append(Problem(d.file, 1, "no page with this file name in "
                                                            "pages/en/"))
                elif d.front and original.front and d.front.id != original.front.id and d.src:
                    self.problems.append(d.src.problem(("id",), f"id '{d.front.id}' differs from "
                                                                f"pages/en/{d.file.name} "
                                                                f"('{original.front.id}')"))

    def _links(self, lang: str, drafts: list[_PageDraft]) -> None:
        # ids from the raw front matter too: one invalid field must not break every link to the page
        ids = {d.front.id for d in drafts if d.front} | {d.raw_id for d in drafts if d.raw_id}
        for d in drafts:
            for link in d.rendered.links if d.rendered else []:
                if link.kind == "page" and link.target not in ids:
                    self.problems.append(Problem(d.file, link.line, f"broken link page:{link.target}:"
                                                 f" no page with that id in pages/{lang}/"))
                if link.kind == "module" and link.target not in self.known_modules:
                    self.problems.append(Problem(d.file, link.line, f"broken link module:"
                                                 f"{link.target}: no such module"))

    # -- quiz --------------------------------------------------------------------------------

    def _quizzes(self) -> tuple[dict[str, QuizContent], Source | None]:
        root = self.folder / "quiz"
        if not root.is_dir():
            return {}, None
        parsed: dict[str, tuple[QuizFile, Source]] = {}
        present: set[str] = set()
        en_src: Source | None = None
        for entry in sorted(root.iterdir()):
            if entry.name.startswith("."):
                continue
            if not (entry.is_file() and entry.suffix == ".yaml" and entry.stem in LANGUAGES):
                self.problems.append(Problem(entry, 1, f"unexpected entry in quiz/: quiz files are "
                                                       f"<lang>.yaml, lang one of {', '.join(LANGUAGES)}"))
                continue
            present.add(entry.stem)
            src = self._yaml(entry)
            if src is None:
                continue
            if entry.stem == DEFAULT_LANG:
                en_src = src
            quiz, problems = validate(src, QuizFile)
            self.problems.extend(problems)
            if self.glossary is not None:
                self.draft.warnings += self.glossary.yaml_variant_warnings(src, entry.stem)
            self.problems.extend(check_quiz(src, quiz))
            if quiz is not None:
                parsed[entry.stem] = (quiz, src)
                if entry.stem == DEFAULT_LANG:
                    self.draft.en_quiz = (src, quiz)
        if present and DEFAULT_LANG not in present:
            self.problems.append(Problem(root / "en.yaml", 1, "missing quiz/en.yaml: translations "
                                                              "need the English quiz"))
        english = parsed.get(DEFAULT_LANG)
        if english is None:
            return {}, en_src
        quizzes = {DEFAULT_LANG: build_quiz(english[0])}
        for lang, (quiz, src) in parsed.items():
            if lang != DEFAULT_LANG:
                self.problems.extend(check_translation(english[0], quiz, src))
                quizzes[lang] = build_quiz(english[0], lang, quiz)
        return quizzes, en_src

    # -- helpers -----------------------------------------------------------------------------

    def _read(self, file: Path) -> str | None:
        try:
            return file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            self.problems.append(Problem(file, 1, f"not UTF-8 text: {exc.reason}"))
        except OSError as exc:
            self.problems.append(Problem(file, 1, f"cannot read: {exc.strerror}"))
        return None

    def _yaml(self, file: Path) -> Source | None:
        text = self._read(file)
        if text is None:
            return None
        src, problems = parse(file, text)
        self.problems.extend(problems)
        if self.thorough and src is not None:
            self.problems.extend(portability_problems(file, text, src.data))
        return src


def _page(draft: _PageDraft, lang: str, index: int) -> Page:
    assert draft.front is not None and draft.rendered is not None
    return Page(id=draft.front.id, title=draft.front.title, html=draft.rendered.html, index=index,
                word_count=draft.rendered.word_count, lang=lang, file=draft.file)


def _cross_module(drafts: list[_Draft]) -> list[Problem]:
    problems = []
    for name in ("id", "order"):
        seen: dict[object, Path] = {}
        for d in drafts:
            src = d.meta_src
            value = src.data.get(name) if src and isinstance(src.data, dict) else None
            if not isinstance(value, (str, int)):
                continue
            if value in seen:
                problems.append(src.problem((name,), f"duplicate module {name} {value!r} "
                                                     f"(also in {seen[value]})"))
            else:
                seen[value] = src.file
    return problems
