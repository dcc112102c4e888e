"""Readiness: can this process serve a launch now? The database and the launch-state store must both
answer within EMM_READY_TIMEOUT.

The checks run on a small pool of their own threads, so a server that stops answering (not one that
refuses connections, which fails at once) costs the probe its deadline, not a request thread.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask
from sqlalchemy import text

log = logging.getLogger(__name__)

#: at most this many checks in flight per process: a hung server cannot pile up threads
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="emm-readyz")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


def check_database(app: Flask) -> None:
    from ..extensions import db

    with app.app_context():
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def check_state_store(app: Flask) -> None:
    from ..runtime import runtime

    runtime(app).state_store.get("readyz:probe")


CHECKS: dict[str, Callable[[Flask], None]] = {"database": check_database, "launch_state_store": check_state_store}


def run_checks(app: Flask, timeout: float) -> list[Check]:
    """Run every check at once; each gets `timeout` seconds from now."""
    started = time.monotonic()
    futures = {name: _pool.submit(_timed, check, app) for name, check in CHECKS.items()}
    results = []
    for name, future in futures.items():
        remaining = max(0.0, timeout - (time.monotonic() - started))
        try:
            seconds = future.result(timeout=remaining)
            results.append(Check(name, True, "ok", seconds))
        except FutureTimeout:
            results.append(Check(name, False, f"no answer within {timeout:g} s", time.monotonic() - started))
        except Exception as exc:  # noqa: BLE001 - a failed check is reported, never raised
            results.append(Check(name, False, _describe(exc), time.monotonic() - started))
    down = [r for r in results if not r.ok]
    if down:
        log.warning("not ready: %s", "; ".join(f"{r.name}: {r.detail}" for r in down))
    return results


def _timed(check: Callable[[Flask], None], app: Flask) -> float:
    start = time.monotonic()
    check(app)
    return time.monotonic() - start


def _describe(exc: BaseException) -> str:
    """The kind of failure, without connection strings or passwords (which some driver messages carry)."""
    name = type(exc).__name__
    original: Any = getattr(exc, "orig", None)
    if original is not None:
        name = f"{name} ({type(original).__name__})"
    return f"{name}: cannot reach it"
