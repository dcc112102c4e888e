"""Helpers for learner tests: a launched learner driving the live tool, and answer keys for its papers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import Flask
from lti_helpers import Launcher
from sqlalchemy import select

from lti_tool.content import Module, QuestionType
from lti_tool.extensions import db
from lti_tool.progress.models import Attempt, Progress
from lti_tool.quizzes.engine import Paper, field_name
from lti_tool.runtime import runtime

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(html: str, action_contains: str = "/quiz") -> dict[str, str]:
    """The hidden inputs of the first form whose action contains `action_contains`."""
    match = re.search(r'<form[^>]*action="[^"]*' + re.escape(action_contains) + r'"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert match, f"no form posting to {action_contains!r} in the page"
    return {name: unescape(value) for name, value in _HIDDEN.findall(match.group(1))}


@dataclass
class Learner:
    """A learner after a launch: every page is reached under /l/<ref>/, with no cookies."""

    base: str        # http://127.0.0.1:port/l/<ref>
    tool_url: str
    http: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def launch(cls, launcher: Launcher, module: str = "m01", **claims: Any) -> Learner:
        custom = {"module": module, **claims.pop("custom", {})}
        response = launcher.launch(**{CUSTOM: custom, **claims})
        assert response.status_code == 303, response.text[:400]
        home = urljoin(response.url, response.headers["Location"])
        path = urlsplit(home).path
        ref = path.split("/")[2]
        return cls(base=f"{launcher.tool_url}/l/{ref}", tool_url=launcher.tool_url)

    @classmethod
    def from_page(cls, page: requests.Response) -> Learner:
        """The learner behind a page a launch landed on (e.g. through the demo LMS)."""
        parts = urlsplit(page.url)
        return cls(base=f"{parts.scheme}://{parts.netloc}/l/{parts.path.split('/')[2]}",
                   tool_url=f"{parts.scheme}://{parts.netloc}")

    @property
    def ref(self) -> str:
        return self.base.rsplit("/", 1)[1]

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", True)
        return self.http.get(self.base + path, timeout=10, **kwargs)

    def post(self, path: str, data: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.post(self.base + path, data=data, timeout=10, **kwargs)

    def read(self, page_id: str, module: str = "m01") -> requests.Response:
        """Open a page and press "Next" at its end, as a learner without JavaScript does (not followed)."""
        page = self.get(f"/m/{module}/p/{page_id}")
        assert page.status_code == 200, page.text[:600]
        return self.post(f"/m/{module}/p/{page_id}/read", hidden_fields(page.text, f"/p/{page_id}/read"))

    def read_all(self, page_ids: list[str], module: str = "m01") -> None:
        for page_id in page_ids:
            assert self.read(page_id, module).status_code == 303

    def open_quiz(self, module: str = "m01") -> tuple[requests.Response, dict[str, str]]:
        page = self.get(f"/m/{module}/quiz")
        assert page.status_code == 200, page.text[:600]
        return page, hidden_fields(page.text)


def attempt_by_key(app: Flask, key: str) -> tuple[Attempt, Progress]:
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.key == key))
        assert attempt is not None
        progress = db.session.get(Progress, attempt.progress_id)
        db.session.expunge_all()
        return attempt, progress


def answer_form(app: Flask, module_id: str, key: str, *, correct: bool = True,
                skip: int = 0) -> list[tuple[str, str]]:
    """Form fields answering the stored attempt `key` (see `answer_fields`)."""
    attempt, _ = attempt_by_key(app, key)
    with app.app_context():
        module: Module = runtime(app).catalogue.get(module_id)
    return answer_fields(module.quiz("en"), Paper.from_dict(attempt.paper), correct=correct, skip=skip)


def paper_points(app: Flask, module_id: str, key: str) -> list[int]:
    """The points of each question of the stored attempt `key`, in the order shown."""
    attempt, _ = attempt_by_key(app, key)
    with app.app_context():
        quiz = runtime(app).catalogue.get(module_id).quiz("en")
    return [quiz.question(pq.id).points for pq in Paper.from_dict(attempt.paper).questions]


def answer_fields(quiz: Any, paper: Paper, *, correct: bool = True, skip: int = 0) -> list[tuple[str, str]]:
    """Form fields answering a paper: all right (correct=True) or all wrong.

    The values are screen positions, exactly as a browser sends them; `skip` leaves the last
    `skip` questions unanswered.
    """
    fields: list[tuple[str, str]] = []
    questions = paper.questions[:len(paper.questions) - skip] if skip else paper.questions
    for pq in questions:
        q = quiz.question(pq.id)
        name = field_name(q.id)
        if q.type is QuestionType.SINGLE:
            right = next(n for n, oid in enumerate(pq.options, 1) if q.choice(oid).correct)
            wrong = next(n for n, oid in enumerate(pq.options, 1) if not q.choice(oid).correct)
            fields.append((name, str(right if correct else wrong)))
        elif q.type is QuestionType.MULTIPLE:
            for n, oid in enumerate(pq.options, 1):
                if q.choice(oid).correct == correct:
                    fields.append((name, str(n)))
        elif q.type is QuestionType.TRUE_FALSE:
            fields.append((name, "true" if q.answer == correct else "false"))
        elif q.type is QuestionType.MATCHING:
            for row, left in enumerate(pq.left, 1):
                at = pq.right.index(left) + 1
                fields.append((field_name(q.id, row), str(at if correct else at % len(pq.right) + 1)))
        elif q.type is QuestionType.ORDERING:
            ids = [i.id for i in q.items]
            for row, item in enumerate(pq.items, 1):
                at = ids.index(item) + 1
                # wrong: the reverse order, so that no pair of items is in its right relative order
                fields.append((field_name(q.id, row), str(at if correct else len(ids) + 1 - at)))
    return fields


def complete_module(learner: Learner, app: Flask, module: str, *, correct: bool = True) -> requests.Response:
    """Read every page of a module to its end and submit its quiz once (the result's 303)."""
    with app.app_context():
        pages, _ = runtime(app).catalogue.get(module).pages("en")
    learner.read_all([p.id for p in pages], module)
    return submit_quiz(learner, app, module, correct=correct)


def submit_quiz(learner: Learner, app: Flask, module: str = "m01", *, correct: bool = True,
                skip: int = 0, extra: list[tuple[str, str]] | None = None) -> requests.Response:
    """Open the quiz, answer it and post the form once (no redirect followed)."""
    _, hidden = learner.open_quiz(module)
    data = list(hidden.items()) + answer_form(app, module, hidden["attempt"], correct=correct, skip=skip)
    return learner.post(f"/m/{module}/quiz", data + (extra or []))
