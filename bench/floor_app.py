"""The launch benchmark's floor: the two requests of a launch answered with no LTI work at all.

A plain WSGI function (no framework). The login reads the form and answers with a 302 to the LMS
carrying a fresh state, nonce and the redirect_uri, plus a state cookie; the launch reads the form
and answers with a 303. No token is checked and nothing is stored, so this is not a tool: it is
what any tool pays per launch under the same gunicorn settings before it does any LTI work
(gunicorn's request handling, a connection, reading two forms, two responses). launch_bench.py
runs it beside ours and the baseline and reports both tools' CPU above this floor.

    FLOOR_AUTH_URL=http://127.0.0.1:8000/auth python bench/floor_app.py --port 9002
"""
from __future__ import annotations

import os
import secrets
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode

AUTH_URL = os.environ.get("FLOOR_AUTH_URL", "http://127.0.0.1/auth")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO")
    if path == "/ready/":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    form = dict(parse_qsl(environ["wsgi.input"].read(length).decode("utf-8", "replace")))
    if path == "/login/":
        state = secrets.token_urlsafe(24)
        query = urlencode({
            "state": state, "nonce": secrets.token_urlsafe(24), "login_hint": form.get("login_hint", ""),
            "redirect_uri": f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}/launch/",
        })
        start_response("302 Found", [("Location", f"{AUTH_URL}?{query}"), ("Content-Length", "0"),
                                     ("Set-Cookie", f"floor-state={state}; Path=/; HttpOnly")])
        return [b""]
    if path == "/launch/" and form.get("id_token") and form.get("state"):
        start_response("303 See Other", [("Location", "/done/"), ("Content-Length", "0")])
        return [b""]
    start_response("404 Not Found", [("Content-Length", "0")])
    return [b""]


if __name__ == "__main__":
    from servers import serve_from_command_line  # bench/ is on sys.path when this file is run

    serve_from_command_line(app, __doc__.splitlines()[0], default_port=9002)
