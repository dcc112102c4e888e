"""`emm-lti report`: the admin's completion report from the command line."""
from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from .reports import BY


def _date(value: str | None, name: str, fail: Any) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
    return None


def register(main: click.Group, with_database: Any, emm_errors: Any, fail: Any) -> None:
    @main.command("report")
    @click.option("--by", "by", type=click.Choice(BY), default="country", show_default=True,
                  help="Group results by country, module, agency or the language a module was taken in.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True)
    @click.option("--platform", "issuer", default=None, help="Only this LMS (its issuer); default: every LMS.")
    @click.option("--since", default=None, metavar="YYYY-MM-DD", help="Results started or completed from this day.")
    @click.option("--until", default=None, metavar="YYYY-MM-DD", help="… up to and including this day.")
    @click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="Write to this file instead of standard output (needed for xlsx on a terminal).")
    @with_database
    @emm_errors
    def report_command(by: str, fmt: str, issuer: str | None, since: str | None, until: str | None,
                       output: str | None) -> None:
        """Completion and pass rates by country, module or agency, each person counted once."""
        from sqlalchemy import select

        from ..countries import country_name
        from ..exports import csv_bytes, xlsx_bytes
        from ..extensions import db
        from ..platforms.models import Platform
        from ..runtime import runtime
        from .reports import completion_report, completions_table, matrix_table, report_json, report_table

        first, last = _date(since, "--since", fail), _date(until, "--until", fail)
        if first and last and first > last:
            fail(f"--since {since} is after --until {until}")
        query = select(Platform.id)
        if issuer is not None:
            query = query.where(Platform.issuer == issuer)
        platform_ids = list(db.session.scalars(query))
        if issuer is not None and not platform_ids:
            fail(f"--platform: no LMS is registered with issuer {issuer!r} (see `emm-lti platform list`)")
        if fmt == "xlsx" and output is None and sys.stdout.isatty():
            fail("--format xlsx writes a binary file: give --output FILE or redirect standard output")
        report = completion_report(platform_ids, by=by, since=first, until=last)

        def title(module_id: str) -> str:
            module = runtime().catalogue.get(module_id)
            return module.title("en").text if module else module_id

        if fmt == "json":
            data = (json.dumps(report_json(report, country_name, title), indent=2, ensure_ascii=False) + "\n").encode()
        elif fmt == "csv":
            data = csv_bytes(report_table(report, country_name, title, "Report"))
        else:
            data = xlsx_bytes([report_table(report, country_name, title, "Report"),
                               matrix_table(report, country_name, "Country x module"),
                               completions_table(report, country_name, title, "Completions")])
        if output is not None:
            with open(output, "wb") as handle:
                handle.write(data)
            click.echo(f"wrote {output}", err=True)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
