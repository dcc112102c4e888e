"""Markdown to HTML, once at load time, with our link scheme rewritten to relative URLs."""
from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

# html=False: raw HTML in a page is shown as text, never passed to the browser.
_md = MarkdownIt("commonmark", {"html": False}).enable("table")

_RAW_HTML = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_NOT_WORD = re.compile(r"[^\w\s-]")


@dataclass(frozen=True)
class Link:
    """A `page:` or `module:` link, kept so the loader can check its target exists."""

    kind: str      # "page" | "module"
    target: str
    line: int


@dataclass
class Rendered:
    html: str
    word_count: int
    links: list[Link] = field(default_factory=list)
    #: (line, message) pairs about this page alone; the loader turns them into Problems
    problems: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TermLinker:
    """How a page links the first use of each glossary term (built by `Glossary.linker`)."""

    #: (start, end, term id) of every term in a text, in order, never overlapping
    find: Callable[[str], Iterable[tuple[int, int, str]]]
    #: the link target of a term, relative to the page
    href: Callable[[str], str]
    #: told to screen reader users inside each link, in the page's language
    note: str


@functools.cache
def _interface_text(lang: str, msgid: str) -> str:
    # from the interface catalogues: pages are rendered at start-up, before any request chose a language
    from babel.support import Translations

    from .. import paths

    return Translations.load(str(paths.translations_dir()), [lang]).gettext(msgid)


def new_tab_note(lang: str) -> str:
    """'(opens in a new tab)' in `lang`."""
    return _interface_text(lang, "(opens in a new tab)")


def glossary_note(lang: str) -> str:
    """'(see the glossary)' in `lang`: where a term's link goes."""
    return _interface_text(lang, N_("(see the glossary)"))


def N_(message: str) -> str:  # noqa: N802 - the name pybabel extracts by default
    """Mark a message for the interface catalogues; it is translated later, per page language."""
    return message


def render_markdown(text: str, *, first_line: int = 1, new_tab_note: str = "(opens in a new tab)",
                    terms: TermLinker | None = None) -> Rendered:
    """Render a page body; `first_line` is the file line of the body's first line.

    External links open in a new tab: inside an LMS iframe most sites refuse to be framed, and the
    learner would lose the page. `new_tab_note`, in the page's language, tells screen reader users.
    With `terms`, the first use of each glossary term links to its entry (see `_link_terms`).
    """
    tokens = _md.parse(text)
    result = Rendered(html="", word_count=0)
    slugs: set[str] = set()
    block_line = 0
    for index, token in enumerate(tokens):
        if token.map:
            block_line = token.map[0]
        if token.type == "heading_open":
            _heading(token, tokens[index + 1], slugs, result, first_line + block_line)
        if token.type == "inline" and token.children:
            _inline(token.children, first_line + block_line, result)
            token.children = _mark_new_tabs(token.children, new_tab_note)
    if terms is not None:
        _link_terms(tokens, terms)
    result.html = _md.renderer.render(tokens, _md.options, {})
    return result


def _heading(token: Token, inline: Token, slugs: set[str], result: Rendered, line: int) -> None:
    if token.tag == "h1":
        result.problems.append((line, "headings inside a page start at '##' (the page title is the h1)"))
    text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
    base = "-".join(_NOT_WORD.sub("", text.lower()).split()) or "section"
    slug, n = base, 1
    while slug in slugs:
        n += 1
        slug = f"{base}-{n}"
    slugs.add(slug)
    token.attrSet("id", slug)


def _inline(children: list[Token], line: int, result: Rendered) -> None:
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type in ("text", "code_inline"):
            result.word_count += len(child.content.split())
            html = _RAW_HTML.search(child.content) if child.type == "text" else None
            if html:
                result.problems.append((line, f"raw HTML is not allowed ({html.group(0)!r} "
                                              "would be shown as text)"))
        elif child.type == "link_open":
            _link(child, line, result)
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            where = "from other hosts are" if _SCHEME.match(src) else "are not served by the tool, so are"
            result.problems.append((line, f"images {where} not allowed: {src!r}"))


def _mark_new_tabs(children: list[Token], note: str) -> list[Token]:
    """Before the end of each link that opens a new tab, a visually hidden note saying so."""
    out: list[Token] = []
    new_tab = False
    for child in children:
        if child.type == "link_open":
            new_tab = child.attrGet("target") == "_blank"
        elif child.type == "link_close" and new_tab:
            hidden = Token("html_inline", "", 0)
            hidden.content = f'<span class="sr-only"> {html.escape(note)}</span>'
            out.append(hidden)
            new_tab = False
        out.append(child)
    return out


def _link(token: Token, line: int, result: Rendered) -> None:
    href = str(token.attrGet("href") or "")
    match = _SCHEME.match(href)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("page", "module"):
        target, _, fragment = href[len(scheme) + 1:].partition("#")
        result.links.append(Link(scheme, target, line))
        # pages are served at .../m/<module>/p/<page>, overviews at .../m/<module>/
        url = target if scheme == "page" else f"../../{target}/"
        token.attrSet("href", f"{url}#{fragment}" if fragment else url)
    elif scheme in ("https", "http"):
        if scheme == "http":
            result.problems.append((line, f"external links must use https://: {href!r}"))
        if not urlsplit(href).netloc:
            result.problems.append((line, f"link has no host: {href!r}"))
        token.attrSet("target", "_blank")
        token.attrSet("rel", "noopener noreferrer")
    elif scheme == "mailto":
        pass
    elif scheme:
        result.problems.append((line, f"unknown link type '{scheme}:' in {href!r} "
                                      "(use page:<id>, module:<id> or https://)"))
    elif not href.startswith("#"):
        result.problems.append((line, f"relative link {href!r}: use page:<id> or module:<id>"))


def _link_terms(tokens: list[Token], terms: TermLinker) -> None:
    """Link the first use of each term on the page, in reading order.

    Never inside a heading or a table header (a link there would be read as part of the title), a
    link (no nested links) or code; a phrase broken by a line break in the source still counts.
    """
    linked: set[str] = set()
    skip = 0
    for token in tokens:
        if token.type in ("heading_open", "th_open"):
            skip += 1
        elif token.type in ("heading_close", "th_close"):
            skip -= 1
        elif token.type == "inline" and token.children and not skip:
            token.children = _link_children(token.children, terms, linked)


def _link_children(children: list[Token], terms: TermLinker, linked: set[str]) -> list[Token]:
    out: list[Token] = []
    run: list[Token] = []
    depth = 0
    for child in children:
        if depth == 0 and child.type in ("text", "softbreak"):
            run.append(child)
            continue
        out += _link_run(run, terms, linked)
        run = []
        depth += (child.type == "link_open") - (child.type == "link_close")
        out.append(child)
    return out + _link_run(run, terms, linked)


def _link_run(run: list[Token], terms: TermLinker, linked: set[str]) -> list[Token]:
    """Text (and soft line breaks) between other inline tokens, with new term links cut in."""
    if not run:
        return run
    text = "".join(t.content if t.type == "text" else "\n" for t in run)
    spans = []
    for start, end, term_id in terms.find(text):
        if term_id not in linked:
            linked.add(term_id)
            spans.append((start, end, term_id))
    if not spans:
        return run
    out: list[Token] = []
    at = 0
    for start, end, term_id in spans:
        if start > at:
            out.append(_text(text[at:start]))
        opening = Token("link_open", "a", 1)
        opening.attrSet("href", terms.href(term_id))
        opening.attrSet("class", "term")
        note = Token("html_inline", "", 0)
        note.content = f'<span class="sr-only"> {html.escape(terms.note)}</span>'
        out += [opening, _text(text[start:end]), note, Token("link_close", "a", -1)]
        at = end
    if at < len(text):
        out.append(_text(text[at:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token
