"""The glossary page, /l/<ref>/glossary/<lang>: every term of the curriculum in one language.

Pages link the first use of a term to its entry here (content/render.py writes those links at
start-up), and the learner pages' navigation links to the glossary in the interface language.
The entries are the same for every learner, so each language's list is rendered once per app
(in that language, whatever the interface language) and kept on its Runtime (prerender.py); only
the page around it is rendered per request.
"""
from __future__ import annotations

import logging

from flask import current_app, g, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ..content import LANGUAGES, normalize_lang
from ..content.glossary import Glossary
from ..errors import NotFound
from ..lti.current import launch_required
from ..runtime import runtime
from .services import LANGUAGE_NAMES
from .views import bp

log = logging.getLogger(__name__)

TEMPLATE = "learner/glossary.html"


@bp.context_processor
def _glossary_link() -> dict:
    """Where the navigation's Glossary link goes: the glossary in the interface language."""
    if g.get("launch") is None or runtime().catalogue.glossary is None:
        return {}
    return {"glossary_url": url_for("learner.glossary", lang=normalize_lang(str(get_locale())))}


@bp.get("/glossary/<lang>")
@launch_required()
def glossary(lang: str) -> str:
    """The glossary in `lang` (en, es, fr): letters to jump to, each term's definition and modules."""
    found = runtime().catalogue.glossary
    if found is None:
        raise NotFound(_("This curriculum has no glossary."))
    if lang not in LANGUAGES:
        raise NotFound(_("There is no glossary in this language. Choose English, Español or Français."))
    return render_template(TEMPLATE, lang=lang, entries_html=_entries(found, lang), language_names=LANGUAGE_NAMES,
                           terms=len(found))


def _entries(glossary: Glossary, lang: str) -> str:
    """The letters and entries in `lang`, rendered in that language once per app (prerender.py)."""
    def render() -> str:
        template = current_app.jinja_env.get_template(TEMPLATE)
        catalogue = runtime().catalogue
        context = template.new_context({
            "letters": glossary.letters(lang), "lang": lang,
            # the modules entries refer to, in catalogue order, for the key at the end of the page
            "titles": {module.id: module.title(lang) for module in catalogue
                       if any(module.id in entry.modules for entry in glossary)},
        }, shared=False)
        # the template's own block, never rendered with the page itself
        html = "".join(template.blocks["glossary_entries"](context))
        log.info("glossary in %s rendered: %d terms, %d bytes", lang, len(glossary), len(html))
        return html

    return runtime().prerendered.get(("glossary", lang), lang, render)
