"""Fixtures for grade delivery: learners launched into fresh demo LMS placements, and a worker."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from e2e_support import browse_launch
from grade_helpers import Target
from lti_tool.courses.models import Participant, Placement
from lti_tool.extensions import db
from lti_tool.lms import tokens
from lti_tool.grades.worker import GradeWorker, RetryPolicy
from lti_tool.platforms.models import Platform

LEARNERS = ("4", "5", "6")  # Antigua and Barbuda, Grenada, Saint Vincent and the Grenadines
_counter = itertools.count(1)


@pytest.fixture
def lms(demo_lms) -> Iterator:
    """The demo LMS with its switches reset after each test."""
    yield demo_lms
    demo_lms.lms.set_switches(ags_down=False, ags_retry_after=0, score_fail_percent=0, score_fail_after_store=False,
                              rate_limit_retry_after=0, token_fail=False, slow_ms=0, moodle_mode=False)


@pytest.fixture
def make_targets(app: Flask, lms):
    """n (placement, learner) pairs, each launched for real so the tool has its rows and line item."""

    def make(n: int, *, module: str = "m04", country: str | None = None) -> list[Target]:
        targets: list[Target] = []
        while len(targets) < n:
            placement = lms.lms.add_placement(module, f"Test placement {next(_counter)}", country=country)
            for sub in LEARNERS[: n - len(targets)]:
                browse_launch(lms, sub, placement.id)
                targets.append(_target(app, lms, placement.id, sub))
        return targets

    return make


def _target(app: Flask, lms, lms_placement: str, sub: str) -> Target:
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == lms.url))
        placement = db.session.scalar(select(Placement).join(Placement.course).where(
            Placement.resource_link_id == lms_placement, Placement.course.has(platform_id=platform_id)))
        participant = db.session.scalar(select(Participant).where(
            Participant.platform_id == platform_id, Participant.sub == sub))
        return Target(placement.id, participant.id, lms_placement, sub)


@pytest.fixture
def worker(app: Flask) -> GradeWorker:
    tokens.reset_memory()
    return GradeWorker(app, batch=100, lease=5, policy=RetryPolicy(base=0.01, cap=0.05))
