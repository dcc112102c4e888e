"""The WSGI front for /lti/login and /lti/launch: the two requests of every launch, without Flask.

Every launch is a login (answered with a redirect to the LMS) and a launch (a form post answered
with a redirect to the learner's page). Flask's per-request machinery (request and response
objects, contexts, the cookie session, hooks) costs about 0.3 ms a request, a third of what the
whole login + launch costs us once the checks are done, so the front serves the ordinary case of
each itself and hands everything else to the Flask views in `views.py`:

- a login inside an iframe (cookie check page) or with LTI platform storage, a login or launch
  whose body is not a small urlencoded form, a launch without its state or its state cookie
  (platform storage, blocked cookies), or whose state is unknown, expired or used, goes to Flask
  untouched, before anything was written or taken, and the view answers it as if the front were
  not there;
- a refusal once the front has started its work (a bad login, a launch that fails validation after
  its state was consumed) is rendered by the app's own error handlers, inside a request context.

The checks and writes are the same functions the views call (`begin_login`, `complete_launch`),
so the two paths cannot drift apart; the responses carry the same headers.
"""
from __future__ import annotations

import io
import sys
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.http import parse_cookie
from werkzeug.urls import iri_to_uri

from ..runtime import runtime
from ..security import security_headers
from .launching import complete_launch
from .login import begin_login, state_cookie, state_cookie_name, state_cookie_removal
from .urls import lti_urls
from .validation import LoginState

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_FORM = "application/x-www-form-urlencoded"
_EMPTY_HTML = ("Content-Type", "text/html; charset=utf-8")


class LtiFront:
    """WSGI middleware in front of the Flask app (installed as `app.wsgi_app`)."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp):
        self.app = app
        self.wsgi_app = wsgi_app
        self.max_body = int(app.config.get("MAX_CONTENT_LENGTH") or 0)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        method = environ.get("REQUEST_METHOD")
        if path == "/lti/launch" and method == "POST":
            return self._launch(environ, start_response)
        if path == "/lti/login" and method in ("GET", "POST"):
            return self._login(environ, start_response)
        return self.wsgi_app(environ, start_response)

    # -- the two requests ------------------------------------------------------------------------

    def _login(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        params = self._params(environ)
        if params is None or (not params.get("emm_new_window") and (
                (params.get("lti_storage_target") or "").strip()
                or environ.get("HTTP_SEC_FETCH_DEST") == "iframe")):
            return self.wsgi_app(environ, start_response)  # a page to render: the view's job
        rt = runtime(self.app)
        with self.app.app_context():
            try:
                start = begin_login(params, launch_url=lti_urls(self.app, environ).launch,
                                    store=rt.state_store, settings=rt.settings)
            except Exception as exc:  # noqa: BLE001 - rendered by the app's error handlers
                return self._refuse(environ, start_response, exc)
        headers = [("Location", _uri(start.auth_url)),
                   ("Set-Cookie", state_cookie(start.state, rt.settings.state_ttl)),
                   _EMPTY_HTML, ("Content-Length", "0"), *security_headers()]
        start_response("302 FOUND", headers)
        return [b""]

    def _launch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        form = self._params(environ, query=False)  # the view reads the launch from the body only
        state = form.get("state") if form else None
        if not form or not form.get("id_token") or not state:
            return self.wsgi_app(environ, start_response)  # the view names what is missing
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if cookies.get(state_cookie_name(state)) != state:
            # platform storage or blocked cookies: the view answers, nothing was consumed
            return self.wsgi_app(environ, start_response)
        rt = runtime(self.app)
        # the cookie binds this browser to the state, so it is taken at once (one read of the store
        # fewer); if it is not there (unknown, expired, used), nothing was taken and the view says so
        try:
            record = rt.state_store.pop("state:" + state)
        except Exception as exc:  # noqa: BLE001 - the store is down (Redis): the app's error page
            return self._refuse(environ, start_response, exc)
        if record is None:
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            try:
                ref = complete_launch(rt, LoginState.from_dict(record), form, cookies,
                                      is_secure=environ.get("wsgi.url_scheme") == "https")
            except Exception as exc:  # noqa: BLE001 - rendered by the app's error handlers
                return self._refuse(environ, start_response, exc)
            location = lti_urls(self.app, environ).learner_home(ref)
        headers = [("Location", _uri(location)), ("Set-Cookie", state_cookie_removal(state)),
                   _EMPTY_HTML, ("Content-Length", "0"), *security_headers()]
        start_response("303 SEE OTHER", headers)
        return [b""]

    # -- helpers ---------------------------------------------------------------------------------

    def _params(self, environ: dict[str, Any], *, query: bool = True) -> dict[str, str] | None:
        """The query string (unless `query` is false) and an urlencoded body, the first value of
        each name (as Flask's `request.values.to_dict()`, or `request.form.to_dict()`); None if
        the body is anything else, for Flask to deal with.

        The body is read once and put back as a fresh stream, so a request handed on to Flask
        reads the same bytes.
        """
        params: dict[str, str] = {}
        if query and environ.get("QUERY_STRING"):
            for name, value in parse_qsl(environ["QUERY_STRING"], keep_blank_values=True):
                params.setdefault(name, value)
        if environ.get("REQUEST_METHOD") != "POST":
            return params
        if not (environ.get("CONTENT_TYPE") or "").startswith(_FORM):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None  # chunked or no length: Flask's parser copes, or refuses with a 4xx
        if length < 0 or length > self.max_body:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) != length:
            return None
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            params.setdefault(name, value)
        return params

    def _refuse(self, environ: dict[str, Any], start_response: StartResponse, exc: Exception) -> Iterable[bytes]:
        """Answer with the app's own error page for `exc` (call this inside the `except` block)."""
        with self.app.request_context(environ):
            try:
                response = self.app.finalize_request(self.app.handle_user_exception(exc))
            except Exception:  # no handler for it: the app's last resort, as Flask itself does
                response = self.app.handle_exception(sys.exc_info()[1])  # type: ignore[arg-type]
            return response(environ, start_response)


def _uri(location: str) -> str:
    """Header values are Latin-1: a registered URL with other characters is percent-encoded."""
    return location if location.isascii() else iri_to_uri(location)


def install(app: Flask) -> None:
    """Put the front before the app's WSGI callable (middleware added later wraps it in turn)."""
    app.wsgi_app = LtiFront(app, app.wsgi_app)  # type: ignore[method-assign]
