"""The URLs login and launch hand out, built once per scheme, host and script root.

`url_for` costs about 35 µs and every login and launch needs one; the result depends only on what
Flask reads from the request to build it, so it is cached on that (bounded: Host is the client's
to choose). Both the Flask views and the WSGI front (`front.py`) read them here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for

#: a stand-in for the launch reference in the learner home URL (references are URL-safe)
_REF = "EMM-REF-PLACEHOLDER"
_CACHE_LIMIT = 64


@dataclass(frozen=True)
class LtiUrls:
    #: the redirect_uri of the authorization request (absolute)
    launch: str
    #: the login initiation URL (absolute), to restart a login in a new window
    login: str
    _learner_home: str

    def learner_home(self, ref: str) -> str:
        """Where a launch sends the browser: the learner home under this launch's reference."""
        return self._learner_home.replace(_REF, ref)


def _key(environ: dict[str, Any]) -> tuple[str, str, str, str]:
    return (environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", ""),
            environ.get("SERVER_NAME", "") + ":" + str(environ.get("SERVER_PORT", "")),
            environ.get("SCRIPT_NAME", ""))


def lti_urls(app: Flask, environ: dict[str, Any]) -> LtiUrls:
    """The LTI URLs as Flask's `url_for` builds them for a request with this environ."""
    cache: dict[tuple[str, ...], LtiUrls] = app.extensions.setdefault("emm-lti-urls", {})
    key = _key(environ)
    urls = cache.get(key)
    if urls is None:
        with app.request_context(environ):  # only reads the environ; the body is left alone
            urls = LtiUrls(launch=url_for("lti.launch", _external=True),
                           login=url_for("lti.login", _external=True),
                           _learner_home=url_for("learner.home", ref=_REF))
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = urls
    return urls
