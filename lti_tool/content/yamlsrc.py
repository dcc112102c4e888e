"""YAML loading that remembers where each value was written, so errors can name the line."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .problems import Problem
from .schema import QUIZ_ID, SLUG

try:  # the C parser is several times faster and gives the same marks
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

M = TypeVar("M", bound=BaseModel)
Loc = Sequence[str | int]


@dataclass(frozen=True)
class Source:
    """A parsed YAML document and its node tree; `offset` is added to every line (front matter)."""

    file: Path
    data: Any
    node: yaml.Node | None
    offset: int = 0
    #: the text that was parsed (front matter: that block only), for checks that read the source
    text: str = ""

    def line(self, loc: Loc = ()) -> int:
        """The 1-based line of the value at `loc` (or of the nearest enclosing value that exists)."""
        node = self.node
        if node is None:
            return 1 + self.offset
        line = node.start_mark.line
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if str(key.value) == str(part):
                        line, node = key.start_mark.line, value
                        break
                else:
                    continue  # e.g. a union tag pydantic puts in the path: skip it
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return line + 1 + self.offset

    def problem(self, loc: Loc, message: str) -> Problem:
        """A problem at the line of `loc`, its message prefixed with the field's path."""
        where = dotted(loc)
        return Problem(self.file, self.line(loc), f"{where}: {message}" if where else message)


def dotted(loc: Loc) -> str:
    """`('questions', 2, 'options', 0, 'id')` -> `questions[2].options[0].id`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(file: Path, text: str, offset: int = 0) -> tuple[Source | None, list[Problem]]:
    """Parse one YAML document; a syntax error becomes a problem instead of an exception."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark and exc.problem_mark:
            what += f" ({exc.context} started on line {exc.context_mark.line + 1 + offset})"
        return None, [Problem(file, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1 + offset, f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
    source = Source(file, data, node, offset, text)
    return source, _duplicate_keys(source, node, ())


def portability_problems(file: Path, text: str, data: Any, offset: int = 0) -> list[Problem]:
    """The file must mean the same to PyYAML's pure-Python parser as to libyaml's.

    The app uses libyaml when PyYAML was built with it and the pure-Python parser otherwise; they
    disagree on a few edge cases (a '?' inside a flow mapping), so the curriculum stays in the part
    of YAML both read alike.
    """
    if _Loader is yaml.SafeLoader:
        return []  # only one parser here: nothing to compare
    try:
        pure = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        return [Problem(file, line, f"only libyaml reads this; PyYAML's pure-Python parser says: "
                                    f"{exc.problem or exc.context} (quote the string)")]
    if pure != data:
        return [Problem(file, 1 + offset, "libyaml and PyYAML's pure-Python parser read this file "
                                          "differently (quote strings that hold ':', '?' or '#')")]
    return []


def _duplicate_keys(source: Source, node: yaml.Node | None, loc: tuple) -> list[Problem]:
    # PyYAML silently keeps the last of two equal keys; a writer almost never means that.
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                where = dotted(loc)
                problems.append(Problem(
                    source.file, key.start_mark.line + 1 + source.offset,
                    f"{where + ': ' if where else ''}duplicate key '{name}'",
                ))
            seen.add(name)
            problems += _duplicate_keys(source, value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _duplicate_keys(source, item, (*loc, index))
    return problems


def validate(source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate parsed data against a model; every pydantic error becomes a located problem."""
    if not isinstance(source.data, dict):
        kind = "empty" if source.data is None else type(source.data).__name__
        return None, [Problem(source.file, source.line(), f"expected a mapping of fields, got {kind}")]
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _clean_loc(err["loc"])
            if err["type"] == "union_tag_invalid":
                loc = (*loc, "type")
            # a missing or unknown field is named in the message; the path stops at its parent
            where = dotted(loc[:-1] if err["type"] in ("missing", "extra_forbidden") else loc)
            message = _message(err)
            problems.append(Problem(source.file, source.line(loc),
                                    f"{where}: {message}" if where else message))
        return None, problems


_PATTERN_HINTS = {
    SLUG: "use lowercase letters, digits and hyphens",
    QUIZ_ID: "use letters, digits, '_', '.' and '-'",
    r"^https://\S+$": "must be an https:// address",
    r"^[A-Za-z][A-Za-z0-9.]{1,11}$": "an abbreviation is 2 to 12 letters, digits or dots, starting with a letter",
}
_TAGS = {"single", "multiple", "true_false", "matching", "ordering"}


def _clean_loc(loc: tuple) -> tuple:
    # pydantic adds the discriminator value to the path of a union member; the file has no such key.
    return tuple(p for i, p in enumerate(loc)
                 if not (isinstance(p, str) and p in _TAGS and i > 0 and isinstance(loc[i - 1], int)))


def _message(err: dict) -> str:
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    name = loc[-1] if loc else ""
    if kind == "missing":
        return f"missing required field '{name}'"
    if kind == "extra_forbidden":
        return f"unknown field '{name}'"
    if kind == "union_tag_invalid":
        return (f"unknown question type {ctx.get('tag')!r} "
                f"(expected one of: {', '.join(sorted(_TAGS))})")
    if kind == "union_tag_not_found":
        return "missing required field 'type'"
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(ctx.get("pattern", ""), f"must match {ctx.get('pattern')}")
        return f"invalid value {err.get('input')!r}: {hint}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} items, found {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"too short (at least {ctx.get('min_length')} characters)"
    if kind == "string_too_long":
        return f"too long: {len(str(err.get('input')))} characters (at most {ctx.get('max_length')})"
    return f"invalid value {err.get('input')!r}: {err['msg']}"
