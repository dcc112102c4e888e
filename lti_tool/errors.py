"""Our exception tree. Views raise these; one handler renders an iframe-friendly page.

    EmmError                  any failure we expect and explain to the user
    ├── BadRequest (400)      a form or query that cannot be used
    │   └── LaunchError       a launch we refuse; `reason` names what is wrong
    ├── LaunchExpired (401)   the signed launch reference is missing, forged or too old
    ├── Forbidden (403)       the role in this launch may not do this
    ├── NotFound (404)
    └── Conflict (409)
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class EmmError(Exception):
    """Base class: carries an HTTP status and a message safe to show.

    Titles (and messages, where the raiser uses `_`/`_l`) are translated when the page is rendered,
    in the launch's language or, without a launch, the browser's.
    """

    status = 400
    title = _l("Something is wrong with this request")

    def __init__(self, message: str, *, status: int | None = None, title: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title


class BadRequest(EmmError):
    status = 400


class LaunchError(BadRequest):
    """A refused LTI launch or login; the message names the problem in plain words."""

    title = _l("This launch could not be accepted")


class LaunchExpired(EmmError):
    status = 401
    title = _l("Your session has ended")


class Forbidden(EmmError):
    status = 403
    title = _l("You do not have access to this page")


class NotFound(EmmError):
    status = 404
    title = _l("Not found")


class Conflict(EmmError):
    status = 409
    title = _l("This was already done")
