"""`emm-lti modules check`: every problem in the curriculum, each with its file and line."""
from __future__ import annotations

from pathlib import Path

from .loader import load_modules
from .problems import Problem

__all__ = ["Problem", "check_modules"]


def check_modules(path: Path) -> list[Problem]:
    """All problems under `path`, sorted by file and line; an empty list means the content is valid."""
    return load_modules(Path(path)).problems
