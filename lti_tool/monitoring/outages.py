"""Which service an exception says is down, so the request is answered 503 with a message (and
retried by the user or the LMS) instead of 500."""
from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

DATABASE = "database"
STATE_STORE = "launch_state_store"


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis import exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (exceptions.ConnectionError, exceptions.TimeoutError, exceptions.BusyLoadingError)


def _driver_errors() -> tuple[type[BaseException], ...]:
    """The PostgreSQL driver's own connection errors: the launch writes on a raw pooled connection."""
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


def service_down(exc: BaseException | None) -> str | None:
    """"database" or "launch_state_store" when `exc` (or what caused it) is that service not answering."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                            sa_exc.TimeoutError, *_driver_errors())) or (
                isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated):
            return DATABASE
        if isinstance(exc, _redis_errors()) or isinstance(exc, sqlite3.OperationalError):
            return STATE_STORE
        exc = getattr(exc, "original_exception", None) or exc.__cause__
        seen += 1
    return None
