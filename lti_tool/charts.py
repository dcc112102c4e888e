"""Bar charts drawn on the server as small inline SVG, inside the table that holds their numbers.

A chart here is a table (real headers, real numbers, read by screen readers and kept by copy and
paste) whose bar cells carry an SVG sized in percent: no script, no chart library, no request to
another host, no inline style (the CSP forbids it), and it reflows on a 390 px phone because the
labels are HTML text, not text inside a scaled drawing. The SVG is decoration (`aria-hidden`):
the number is always printed beside it, and colour is never the only signal (status bars carry
the status name in the row and in the legend).
"""
from __future__ import annotations

from typing import Any, Iterable

from markupsafe import Markup, escape

def _percent(value: float, total: float) -> float:
    return 0.0 if not total else max(0.0, min(100.0, 100.0 * value / total))


def bar(value: float | None, total: float = 100, kind: str = "", text: Any = "") -> Markup:
    """One horizontal bar: `value` out of `total` on a light track (empty for None), after `text`
    (the figure the bar draws, which is what a screen reader reads). The track and the height
    come from the stylesheet (`.bl>svg`), so a bar costs about 100 bytes."""
    width = 0.0 if value is None else _percent(value, total)
    rect = f'<rect class="{escape(kind or "bar")}" width="{width:.4g}%" height="100%"/>' if width else ""
    return Markup(f'<span class="bl"><span>{escape(text)}</span><svg aria-hidden="true">{rect}</svg></span>')


def stack(parts: Iterable[tuple[str, float]], total: float | None = None) -> Markup:
    """One bar made of segments (css class, count), left to right, e.g. completed | failed | reading."""
    parts = [(kind, count) for kind, count in parts if count]
    whole = total if total else sum(count for _, count in parts)
    out, x = [], 0.0
    for kind, count in parts:
        width = _percent(count, whole)
        out.append(f'<rect class="{escape(kind)}" x="{x:.4g}%" width="{width:.4g}%" height="100%"/>')
        x += width
    return Markup(f'<span class="bl"><svg aria-hidden="true">{"".join(out)}</svg></span>')


def swatch(kind: str) -> Markup:
    """A legend's colour sample, always next to the name it stands for."""
    return Markup(f'<svg class="swatch" width="12" height="12" aria-hidden="true">'
                  f'<rect class="{escape(kind)}" width="12" height="12"/></svg>')


def register(app) -> None:  # type: ignore[no-untyped-def]
    app.jinja_env.globals.update(chart_bar=bar, chart_stack=stack, chart_swatch=swatch)
