"""CSV exports that a spreadsheet opens as data, never as formulas.

Names, emails and agencies come from the LMS or from learners; Excel and LibreOffice evaluate a
cell that starts with `=`, `+`, `-` or `@` (and, after a tab or carriage return, whatever follows)
as a formula, which can reach out to other sites or run commands. Every text cell that starts with
one of those is prefixed with `'` (OWASP's advice); numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (RFC 4180 quoting) with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
