"""The gain figures as export tables (CSV and XLSX through lti_tool.exports). Column names are
stable snake_case; a figure without people behind it is an empty cell, never 0."""
from __future__ import annotations

from typing import Any, Callable

from ..countries import local_country_name
from ..exports import Table
from .figures import ALL, Gain, GainReport

FIGURES = ["before_n", "before_percent_correct", "after_n", "after_percent_correct", "paired_n",
           "gain_points"]


def _figures(gain: Gain) -> list[Any]:
    return [gain.before.n, _blank(gain.before.percent), gain.after.n, _blank(gain.after.percent), gain.paired,
            _blank(gain.points)]


def _blank(value: int | None) -> Any:
    return "" if value is None else value


def _country(code: str) -> list[str]:
    if code == ALL:
        return ["", "all"]
    return [code, local_country_name(code) if code else ""]


def objectives_table(report: GainReport, objective_text: Callable[[str, int], str], title: str) -> Table:
    rows = []
    for country in report.country_keys:
        for (module_id, number), gain in sorted(report.objectives.get(country, {}).items()):
            rows.append(_country(country) + [module_id, number, objective_text(module_id, number)] + _figures(gain))
    return Table(title, ["country", "country_name", "module", "objective", "objective_text"] + FIGURES, rows)


def countries_table(report: GainReport, title: str) -> Table:
    return Table(title, ["country", "country_name"] + FIGURES,
                 [_country(c) + _figures(report.countries[c]) for c in report.country_keys])


def agencies_table(report: GainReport, title: str) -> Table:
    return Table(title, ["agency"] + FIGURES,
                 [[agency] + _figures(gain) for agency, gain in sorted(report.agencies.items())])


def people_table(report: GainReport, title: str) -> Table:
    rows = []
    for p in report.people:
        rows.append([p.name, p.email, p.country, local_country_name(p.country) if p.country else "", p.agency,
                     p.before.submitted_at if p.before else "", p.before.correct if p.before else "",
                     p.before.total if p.before else "", _blank(p.before_percent),
                     p.after.submitted_at if p.after else "", p.after.correct if p.after else "",
                     p.after.total if p.after else "", _blank(p.after_percent), _blank(p.points)])
    return Table(title, ["name", "email", "country", "country_name", "agency", "before_at", "before_correct",
                         "before_questions", "before_percent", "after_at", "after_correct", "after_questions",
                         "after_percent", "gain_points"], rows)


WHAT = ("objectives", "countries", "agencies", "people")


def objective_label(catalogue: Any, module_id: str, number: int, lang: str) -> str:
    """`m01 · 2. Distinguish migrant stocks from …`, in `lang` when the objectives are translated."""
    module = catalogue.get(module_id)
    texts = module.objectives(lang).text if module is not None else []
    return f"{module_id} · {number}. {texts[number - 1]}" if 0 < number <= len(texts) else f"{module_id} · {number}"


def tables(report: GainReport, objective_text: Callable[[str, int], str], titles: dict[str, str]) -> dict[str, Table]:
    return {"objectives": objectives_table(report, objective_text, titles["objectives"]),
            "countries": countries_table(report, titles["countries"]),
            "agencies": agencies_table(report, titles["agencies"]),
            "people": people_table(report, titles["people"])}
