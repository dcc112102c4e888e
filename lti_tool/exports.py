"""Spreadsheet exports (CSV and XLSX) that a spreadsheet opens as data, never as formulas.

Names, emails and agencies come from the LMS or from learners; Excel and LibreOffice evaluate a
cell that starts with `=`, `+`, `-` or `@` (and, after a tab or carriage return, whatever follows)
as a formula, which can reach out to other sites or run commands. Every text cell that starts with
one of those is prefixed with `'` (OWASP's advice), in CSV and in XLSX alike (openpyxl would store
"=…" as a formula); numbers and dates are written as numbers and dates.

CSV files start with a UTF-8 byte order mark, so Excel on Windows reads accents ("Granada",
"Saint-Vincent-et-les Grenadines") instead of guessing an old code page.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: characters XML 1.0 cannot hold (openpyxl refuses them); LMS names could carry them
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
        writer.writerow([_csv_value(safe_cell(value)) for value in row])
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Table:
    """One sheet: its name (Excel allows 31 characters), header and rows."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte order mark."""
    return (BOM + csv_text(table.header, table.rows)).encode("utf-8")


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table: a bold, frozen header row, sized columns, neutralised text.

    Dates are written as Excel dates in UTC (spreadsheets have no time zones); the header says so.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, book.sheetnames))
        sheet.append([_xlsx_value(h) for h in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in table.header]
        for row in table.rows:
            values = [_xlsx_value(v) for v in row]
            sheet.append(values)
            for i, value in enumerate(values[:len(widths)]):
                widths[i] = max(widths[i], min(60, len(str(value)) if value is not None else 0))
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        for i, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(i)].width = width + 2
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return safe_cell(_ILLEGAL_XML.sub("", value))
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return value


def _sheet_title(title: str, taken: list[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" {n}"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    return name


def file_name(label: str, what: str, today: date, extension: str) -> str:
    """`emm2-TRAIN101-class-2026-12-06.xlsx`: the course label and the date, safe in any file system."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-._")[:40] or "course"
    return f"emm2-{clean}-{what}-{today.isoformat()}.{extension}"


def download_headers(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
