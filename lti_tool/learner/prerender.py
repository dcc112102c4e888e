"""HTML that is the same for every learner, rendered once per process and language, then reused.

A module's overview header and objectives, its further reading and each glossary do not depend on
who is asking, only on the interface language: rendering them on every request would be most of
what the page costs. They are rendered on first use, through Jinja (autoescaped, in the language
forced for the render, so `_()` and the `lang` attributes are that language's), and kept on the
app's Runtime. The curriculum is loaded once per app and never changes under it, so nothing is
invalidated: a new curriculum means a new app (a restart), with an empty store.

Never put a URL of the learner's launch (they carry its reference) or anything per learner in
what is stored here.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

log = logging.getLogger(__name__)


class Prerendered:
    """Rendered HTML by key; two requests rendering the same key at once both render, one is kept."""

    def __init__(self) -> None:
        self._html: dict[Hashable, Markup] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._html)

    def get(self, key: Hashable, lang: str, render: Callable[[], str]) -> Markup:
        """The HTML stored under `key`, rendered by `render()` in `lang` the first time."""
        found = self._html.get(key)
        if found is None:
            with force_locale(lang):
                html = Markup(render())
            with self._lock:
                found = self._html.setdefault(key, html)
            log.debug("pre-rendered %s (%d bytes)", key, len(found))
        return found

    def template(self, key: Hashable, lang: str, name: str, **context: object) -> Markup:
        """A whole template rendered once per key (which must name everything the context varies by)."""
        return self.get(key, lang, lambda: render_template(name, lang=lang, **context))
