"""Learner tests run the tool over real HTTP from real (signed, Moodle-shaped) launches.

`platform`, `launcher`, `app` and the backends come from tests/conftest.py; `signals` records
what the tool sent to grade delivery.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from lti_tool.signals import attempt_scored, module_completed


@dataclass
class Recorded:
    scored: list[dict[str, Any]] = field(default_factory=list)
    completed: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def signals() -> Iterator[Recorded]:
    """Every attempt_scored / module_completed the live tool sends during the test (ids only)."""
    recorded = Recorded()

    def on_scored(sender: Any, attempt: Any, progress: Any, module: Any) -> None:
        recorded.scored.append({"attempt": attempt.id, "progress": progress.id, "module": module.id,
                                "percent": attempt.percent, "passed": attempt.passed,
                                "completed": progress.completed_at is not None})

    def on_completed(sender: Any, progress: Any, module: Any, attempt: Any) -> None:
        recorded.completed.append({"progress": progress.id, "module": module.id,
                                   "attempt": attempt.id if attempt is not None else None})

    attempt_scored.connect(on_scored)
    module_completed.connect(on_completed)
    yield recorded
    attempt_scored.disconnect(on_scored)
    module_completed.disconnect(on_completed)
