"""Markdown to HTML, once at load time, with our link scheme rewritten to relative URLs."""
from __future__ import annotations

import functools
import html
import re
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


@functools.cache
def new_tab_note(lang: str) -> str:
    """'(opens in a new tab)' in `lang`, from the interface catalogues: pages are rendered at start-up,
    before any request could choose a language."""
    from babel.support import Translations

    from .. import paths

    return Translations.load(str(paths.translations_dir()), [lang]).gettext("(opens in a new tab)")


def render_markdown(text: str, *, first_line: int = 1, new_tab_note: str = "(opens in a new tab)") -> Rendered:
    """Render a page body; `first_line` is the file line of the body's first line.

    External links open in a new tab: inside an LMS iframe most sites refuse to be framed, and the
    learner would lose the page. `new_tab_note`, in the page's language, tells screen reader users.
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
