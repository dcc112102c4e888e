"""What `check` reports and what loading the catalogue raises: one type for both."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One error (or, with `warning`, a quality warning) in one content file; `line` is 1-based."""

    file: Path
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self._label}{self.message}"

    @property
    def _label(self) -> str:
        return "warning: " if self.warning else ""

    def format(self, relative_to: Path | None = None) -> str:
        """`file:line: message`, with the path shortened when it lies under `relative_to`."""
        file = self.file
        if relative_to is not None and Path(os.path.abspath(file)).is_relative_to(relative_to):
            file = Path(os.path.relpath(file, relative_to))
        return f"{file}:{self.line}: {self._label}{self.message}"


class ContentInvalid(Exception):
    """The curriculum has errors; the app refuses to start on content `check` would reject."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(self.problems)} problem(s) in the module content "
            f"(run `emm-lti modules check`):\n{shown}{tail}"
        )
