"""Which language the interface speaks: the learner's choice, then the launch locale, then English."""
from __future__ import annotations

from flask import g, has_request_context, request

SUPPORTED = ("en", "es", "fr")


def select_locale() -> str:
    if not has_request_context():
        return "en"   # the command line and the grade worker speak English
    launch = g.get("launch")
    if launch is not None:
        return launch.locale
    return request.accept_languages.best_match(SUPPORTED) or "en"
