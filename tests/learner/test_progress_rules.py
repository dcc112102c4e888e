"""Progress and attempt rules as services, on a real database, with module settings varied.

The shipped modules all use 3 attempts, best grading and pages_and_quiz; the rules for the other
settings (modules/README.md) are checked here on copies of m01 with those settings changed.
"""
from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from learner_helpers import answer_fields
from werkzeug.datastructures import MultiDict

from lti_tool.content import CompletionRule, Grading, Module
from lti_tool.courses.models import Course, Participant
from lti_tool.extensions import db
from lti_tool.platforms.services import PlatformSpec, register_platform
from lti_tool.progress import services
from lti_tool.progress.models import Attempt, Progress
from lti_tool.quizzes.engine import Paper
from lti_tool.runtime import runtime


@pytest.fixture
def ctx(app: Flask) -> Iterator[Any]:
    """A request context (signals name the app, messages are translated) and a rolled-back session."""
    with app.test_request_context("/"):
        yield db.session
        db.session.rollback()


@pytest.fixture
def who(ctx: Any) -> tuple[int, int]:
    """A fresh course and participant."""
    slug = secrets.token_hex(4)
    platform = register_platform(PlatformSpec.build(
        issuer=f"http://127.0.0.1/{slug}", client_id="c", deployment_ids=["1"],
        auth_login_url="http://127.0.0.1/auth", auth_token_url="http://127.0.0.1/token",
        key_set_url="http://127.0.0.1/jwks", name=slug))
    course = Course(platform_id=platform.id, deployment_id=platform.deployments[0].id, context_id=slug)
    participant = Participant(platform_id=platform.id, sub=slug)
    db.session.add_all([course, participant])
    db.session.flush()
    return course.id, participant.id


def m01(app: Flask, **changes: Any) -> Module:
    return dataclasses.replace(runtime(app).catalogue.get("m01"), **changes)


def take(progress: Progress, module: Module, *, correct: bool) -> Attempt:
    attempt = services.open_attempt(progress, module, lang="en", placement_id=None)
    form = MultiDict(answer_fields(module.quiz("en"), Paper.from_dict(attempt.paper), correct=correct))
    answers = services.read_answers(module, attempt, form, allow_unanswered=False)
    submission = services.submit_attempt(progress, module, attempt, answers)
    assert not submission.replayed
    return submission.attempt


def test_last_attempt_counts_when_grading_is_last(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app, grading=Grading.LAST, completion=CompletionRule.QUIZ)
    progress = services.get_or_create_progress(*who, module.id)
    take(progress, module, correct=True)
    assert (progress.score_percent, progress.passed) == (100.0, True)
    assert progress.completed_at is not None
    take(progress, module, correct=False)
    assert (progress.best_percent, progress.last_percent, progress.score_percent) == (100.0, 0.0, 0.0)
    assert progress.passed is False
    assert progress.completed_at is not None   # completion, once recorded, stays


def test_best_attempt_counts_by_default(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    take(progress, module, correct=True)
    take(progress, module, correct=False)
    assert (progress.score_percent, progress.passed, progress.attempts_used) == (100.0, True, 2)


def test_zero_attempts_means_unlimited(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app, attempts=0)
    progress = services.get_or_create_progress(*who, module.id)
    for _ in range(5):
        take(progress, module, correct=False)
    assert services.attempts_left(progress, module) is None
    assert progress.attempts_used == 5
    assert services.open_attempt(progress, module, lang="en", placement_id=None).number == 6


def test_attempts_run_out(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app, attempts=1)
    progress = services.get_or_create_progress(*who, module.id)
    take(progress, module, correct=False)
    assert services.attempts_left(progress, module) == 0
    with pytest.raises(services.NoAttemptsLeft) as refused:
        services.open_attempt(progress, module, lang="en", placement_id=None)
    assert refused.value.status == 409
    assert str(refused.value.message) == "You have used your only attempt at this quiz. Its score is kept."


def test_open_attempt_beyond_a_lowered_limit_is_refused(app: Flask, who: tuple[int, int]) -> None:
    generous = m01(app, attempts=3)
    progress = services.get_or_create_progress(*who, generous.id)
    take(progress, generous, correct=False)
    attempt = services.open_attempt(progress, generous, lang="en", placement_id=None)   # number 2
    strict = m01(app, attempts=1)   # the module now allows one attempt
    answers = services.read_answers(strict, attempt, MultiDict(), allow_unanswered=True)
    with pytest.raises(services.NoAttemptsLeft):
        services.submit_attempt(progress, strict, attempt, answers)


def test_completion_by_pages_only(app: Flask, who: tuple[int, int]) -> None:
    from lti_tool.signals import module_completed

    module = m01(app, completion=CompletionRule.PAGES)
    progress = services.get_or_create_progress(*who, module.id)
    sent: list[Any] = []
    with module_completed.connected_to(lambda sender, **kw: sent.append(kw)):
        ids = services.page_ids(module)
        results = [services.record_page_read(progress, module, page_id) for page_id in ids]
    assert results == [False] * (len(ids) - 1) + [True]
    assert progress.completed_at is not None and not progress.passed
    assert len(sent) == 1 and sent[0]["attempt"] is None


def test_completion_by_quiz_only(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app, completion=CompletionRule.QUIZ)
    progress = services.get_or_create_progress(*who, module.id)
    take(progress, module, correct=False)
    assert progress.completed_at is None
    take(progress, module, correct=True)
    assert progress.completed_at is not None and progress.pages_seen == []


def test_pages_and_quiz_needs_both(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    ids = services.page_ids(module)
    for page_id in ids:
        services.record_page_view(progress, module, page_id)   # opened, not read
    take(progress, module, correct=True)
    assert progress.completed_at is None and progress.pages_read == []
    for page_id in ids[:-1]:
        services.record_page_read(progress, module, page_id)
    assert progress.completed_at is None
    assert services.record_page_read(progress, module, ids[-1]) is True
    assert services.record_page_read(progress, module, ids[0]) is False   # already complete
    assert progress.last_page_id == ids[-1]


def test_an_outline_module_cannot_be_completed_or_quizzed(app: Flask, who: tuple[int, int]) -> None:
    outline = runtime(app).catalogue.get("t90")    # the test suite's own outline module
    progress = services.get_or_create_progress(*who, outline.id)
    assert services.completion_met(progress, outline) is False
    with pytest.raises(services.NoQuiz):
        services.open_attempt(progress, outline, lang="en", placement_id=None)


def test_a_changed_quiz_redraws_an_open_attempt_and_refuses_its_form(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    attempt = services.open_attempt(progress, module, lang="en", placement_id=None)
    paper = dict(attempt.paper)
    paper["questions"] = [{"id": "gone"}, *paper["questions"][1:]]
    attempt.paper = paper
    db.session.flush()
    with pytest.raises(services.QuizChanged):
        services.read_answers(module, attempt, MultiDict(), allow_unanswered=True)
    fresh = services.open_attempt(progress, module, lang="en", placement_id=None)
    assert fresh.key != attempt.key and fresh.number == 1
    assert progress.attempts_used == 0


def test_unanswered_questions_are_named(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    attempt = services.open_attempt(progress, module, lang="en", placement_id=None)
    form = MultiDict(answer_fields(module.quiz("en"), Paper.from_dict(attempt.paper), skip=3))
    with pytest.raises(services.Unanswered) as missing:
        services.read_answers(module, attempt, form, allow_unanswered=False)
    assert missing.value.numbers == [8, 9, 10]
    answers = services.read_answers(module, attempt, form, allow_unanswered=True)
    submitted = services.submit_attempt(progress, module, attempt, answers).attempt
    quiz = module.quiz("en")
    points = [quiz.question(pq.id).points for pq in Paper.from_dict(attempt.paper).questions]
    assert submitted.percent == pytest.approx(100 * sum(points[:-3]) / sum(points))   # the last three unanswered
    assert submitted.passed is (submitted.percent >= module.pass_mark)
    assert len(submitted.question_points) == 10 and sum(submitted.question_points.values()) == sum(points[:-3])


def test_a_second_submission_of_an_attempt_changes_nothing(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    attempt = take(progress, module, correct=True)
    again = services.submit_attempt(progress, module, attempt, services.stored_answers(attempt))
    assert again.replayed and again.attempt.id == attempt.id
    assert progress.attempts_used == 1


def test_papers_are_drawn_per_attempt_and_stored(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app, attempts=0)
    progress = services.get_or_create_progress(*who, module.id)
    papers = [take(progress, module, correct=True).paper for _ in range(3)]
    assert len({str(p["seed"]) for p in papers}) == 3
    assert all(len(p["questions"]) == module.quiz("en").size == 10 for p in papers)


def test_a_module_deadline_sets_each_attempts_due_time(app: Flask, who: tuple[int, int]) -> None:
    from lti_tool.models_base import utcnow

    module = m01(app, deadline_hours=48)
    progress = services.get_or_create_progress(*who, module.id)
    attempt = services.open_attempt(progress, module, lang="en", placement_id=None)
    assert attempt.due_at is not None
    assert abs((attempt.due_at - attempt.created_at).total_seconds() - 48 * 3600) < 1
    assert attempt.due_at > utcnow() and not services.is_due(attempt)
    assert services.open_attempt(progress, m01(app), lang="en", placement_id=None).due_at == attempt.due_at


def test_later_attempts_are_drawn_with_the_questions_already_seen(app: Flask, who: tuple[int, int]) -> None:
    module = m01(app)
    progress = services.get_or_create_progress(*who, module.id)
    first = take(progress, module, correct=False)
    second = services.open_attempt(progress, module, lang="en", placement_id=None)
    seen = [q["id"] for q in first.paper["questions"]]
    assert services.seen_questions(progress)[:len(seen)] == seen
    pool = len(module.quiz("en").questions)
    fresh = pool - len(seen)   # the second paper takes every question the first did not have, if it can
    overlap = set(seen) & {q["id"] for q in second.paper["questions"]}
    assert len(overlap) == max(0, len(seen) - fresh)


@pytest.mark.parametrize(("policy", "passed", "left", "shown"), [
    ("always", False, 2, True),
    ("after_pass", False, 0, False),
    ("after_pass", True, 2, True),
    ("after_last_attempt", False, 2, False),
    ("after_last_attempt", False, 0, True),
    ("after_last_attempt", True, 2, True),
])
def test_when_result_pages_show_the_right_answers(app: Flask, policy: str, passed: bool, left: int,
                                                   shown: bool) -> None:
    from lti_tool.content.schema import ShowAnswers
    from lti_tool.learner.services import Outline, Steps, answers_shown

    module = m01(app, show_answers=ShowAnswers(policy))
    row = Progress(passed=passed, attempts_used=3 - left, pages_read=[], pages_seen=[], attempts_granted=0)
    outline = Outline(module=module, lang="en", pages=[], pages_lang="en", toc=[], progress=row,
                      steps=Steps(0, 0, True, passed), has_quiz=True, attempts_left=left)
    assert answers_shown(module, outline) is shown
