"""The curriculum as the app sees it: loaded, checked and rendered once at startup."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from .loader import load_modules
from .models import Catalogue, Localized, Module, Page, normalize_lang
from .problems import ContentInvalid

__all__ = ["Catalogue", "ContentInvalid", "Localized", "Module", "Page", "load_catalogue",
           "normalize_lang"]

log = logging.getLogger(__name__)


def load_catalogue(path: Path) -> Catalogue:
    """Load every module under `path`; raise ContentInvalid rather than serve broken content."""
    started = time.perf_counter()
    loaded = load_modules(Path(path))
    if loaded.problems:
        raise ContentInvalid(loaded.problems)
    catalogue = Catalogue(tuple(loaded.modules), Path(path), loaded.glossary)
    log.info("loaded %d modules and %d glossary terms from %s in %.0f ms", len(catalogue),
             len(loaded.glossary or ()), path, (time.perf_counter() - started) * 1000)
    return catalogue
