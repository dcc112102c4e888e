"""Where the curriculum and templates live, for editable installs and for wheels alike."""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"   # filled by the wheel build (pyproject force-include)
_REPO = _PACKAGE.parent            # the source checkout, for editable installs


def _first_existing(env_var: str, name: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override).expanduser().resolve()
    for candidate in (_BUNDLED / name, _REPO / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name!r} folder: set {env_var} to its path")


def modules_dir() -> Path:
    """The curriculum folder: EMM_MODULES_PATH, else the copy shipped with the package."""
    return _first_existing("EMM_MODULES_PATH", "modules")


def templates_dir() -> Path:
    """The Jinja templates folder shipped with the package (EMM_TEMPLATES_PATH, read by the settings, replaces it)."""
    for candidate in (_BUNDLED / "templates", _REPO / "templates"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("cannot find the 'templates' folder: set EMM_TEMPLATES_PATH to its path")


def translations_dir() -> Path:
    """Compiled Babel catalogues live inside the package so wheels carry them."""
    return _PACKAGE / "translations"


def migrations_dir() -> Path:
    """Alembic migrations ship inside the package."""
    return _PACKAGE / "migrations"
