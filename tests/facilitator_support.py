"""Helpers for tests/facilitator: people launched into one course, and reading what staff pages say.

Kept out of tests/facilitator/conftest.py so test modules import them by a unique name.
"""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from sqlalchemy import select

from learner_helpers import Learner, submit_quiz
from lti_helpers import Launcher
from lti_tool.courses.models import Participant
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from security_support import CUSTOM, INSTRUCTOR, NRPS, ROLES, csrf

__all__ = ["learner", "facilitator", "row_of", "text", "participant_id", "submit_quiz", "csrf", "CUSTOM", "NRPS"]


def learner(launcher: Launcher, sub: str, name: str, *, module: str = "m01", country: str | None = None,
            activity_country: str | None = None, agency: str | None = None, **claims: Any) -> Learner:
    """A learner launched into the course; `country` is the LMS profile country (person_country)."""
    custom = {"module": module, "person_country": country or ""}
    if activity_country:
        custom["country"] = activity_country
    if agency:
        custom["agency"] = agency
    return Learner.launch(launcher, module, sub=sub, name=name, given_name=None, family_name=None,
                          **{CUSTOM: custom, **claims})


def facilitator(launcher: Launcher, sub: str = "FAC", *, module: str = "m01", **claims: Any) -> Learner:
    """A facilitator's launch; `.base` is /l/<ref> (staff pages are under /facilitator/)."""
    return Learner.launch(launcher, module, sub=sub, name="Fay Facilitator", **{ROLES: INSTRUCTOR, **claims})


def text(html: str) -> str:
    """The page's text with tags dropped and spaces collapsed, for reading what a person reads."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def row_of(html: str, name: str) -> str:
    """The text of the table row that names `name`."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.DOTALL):
        if name in row:
            return text(row)
    raise AssertionError(f"no row names {name!r}")


def participant_id(app: Flask, launcher: Launcher, sub: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Participant.id).join(Platform).where(
            Platform.issuer == launcher.platform.issuer, Participant.sub == sub))
