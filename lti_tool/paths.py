"""Where the curriculum and templates live, for editable installs and for wheels alike."""
from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"   # filled by the wheel build (pyproject force-include)
_REPO = _PACKAGE.parent            # the source checkout, for editable installs


def _shipped(name: str) -> Path:
    for candidate in (_BUNDLED / name, _REPO / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name!r} folder shipped with emm-lti: set EMM_{name.upper()}_PATH to its path")


def modules_dir() -> Path:
    """The curriculum shipped with the package (EMM_MODULES_PATH, read by the settings, replaces it)."""
    return _shipped("modules")


def templates_dir() -> Path:
    """The Jinja templates folder shipped with the package (EMM_TEMPLATES_PATH, read by the settings, replaces it)."""
    return _shipped("templates")


def translations_dir() -> Path:
    """Compiled Babel catalogues live inside the package so wheels carry them."""
    return _PACKAGE / "translations"


def migrations_dir() -> Path:
    """Alembic migrations ship inside the package."""
    return _PACKAGE / "migrations"
