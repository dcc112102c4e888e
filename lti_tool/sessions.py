"""No cookie session: the tool never uses `flask.session`.

After a launch every link carries a signed launch reference (lti/launch_ref.py), and the login's
state lives in the shared state store, so Flask's signed-cookie session would only cost a cookie
read (and its signer) on every request. `NoSession` opens none and saves none; code that tries to
write to `flask.session` gets an error at once instead of a cookie nobody reads.
"""
from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface


class NoSession(SessionInterface):
    """A session interface that never reads or sets a cookie."""

    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: object, response: Response) -> None:
        return None
