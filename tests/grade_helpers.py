"""Helpers for the grade delivery tests (tests/grades): a learner in a placement, and draining the queue.

Kept out of tests/grades/conftest.py so test modules import them by a name that is unique: several
folders have a `conftest`, and which one `import conftest` finds depends on collection order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from lti_tool.grades.worker import GradeWorker


@dataclass
class Target:
    """A learner in a placement: tool-side row ids plus the demo LMS ids."""

    placement_id: int
    participant_id: int
    lms_placement: str
    sub: str


def drain(worker: GradeWorker, rounds: int = 200) -> None:
    """Run the worker until nothing is due (bounded)."""
    for _ in range(rounds):
        outcome = worker.run_once()
        if outcome.delivered + outcome.retried + outcome.failed == 0:
            time.sleep(0.06)
            if sum(vars(worker.run_once()).values()) == 0:
                return
    raise AssertionError("the grade queue did not drain")
