"""The launch benchmark's floor: the requests of a launch answered with no LTI work at all.

A plain WSGI function (no framework). The login reads the form and answers with a 302 to the LMS
carrying a fresh state, nonce and the redirect_uri, plus a state cookie; the launch reads the form
and answers with a 303 to a page; the page is a fixed HTML document of about the size of our module
page's HTML. No token is checked and nothing is stored, so this is not a tool: it is what any tool
pays per launch under the same gunicorn settings before it does any LTI work (gunicorn's request
handling, a connection, reading two forms, three responses). launch_bench.py runs it beside ours
and the baseline and reports both tools' CPU above this floor.

With `FLOOR_FLASK=1` the same three answers come from a minimal Flask app instead (`flask_app`:
three views, the cookie set with `set_cookie`, the page rendered from a Jinja template, nothing
else): what any Flask tool pays per launch before it does LTI work, the "flask-floor" of
launch_bench.py.

    FLOOR_AUTH_URL=http://127.0.0.1:8000/auth [FLOOR_FLASK=1] python bench/floor_app.py --port 9002
"""
from __future__ import annotations

import os
import secrets
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode

AUTH_URL = os.environ.get("FLOOR_AUTH_URL", "http://127.0.0.1/auth")
#: about 5 KB, as the HTML of a module page
PAGE = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>floor page</title></head><body><main>"
        "<h1>floor page</h1>" + "<p>A paragraph of a module overview, as long as a real one.</p>" * 80
        + "</main></body></html>").encode()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO")
    if path == "/ready/":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    if path == "/done/":
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE)))])
        return [PAGE]
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


def flask_app() -> Any:
    """The same three answers from Flask's ordinary request pipeline, with the page from a template."""
    from flask import Flask, redirect, render_template, request, url_for
    from jinja2 import DictLoader

    floor = Flask("floor")
    # a template compiled once and cached, as any Flask app's templates are
    floor.jinja_loader = DictLoader({"page.html": PAGE.decode().replace("<h1>floor page</h1>", "<h1>{{ title }}</h1>")})

    @floor.get("/ready/")
    def ready() -> str:
        return "ok"

    @floor.post("/login/")
    def login() -> Any:
        state = secrets.token_urlsafe(24)
        query = urlencode({"state": state, "nonce": secrets.token_urlsafe(24),
                           "login_hint": request.form.get("login_hint", ""),
                           "redirect_uri": url_for("launch", _external=True)})
        response = redirect(f"{AUTH_URL}?{query}", code=302)
        response.set_cookie("floor-state", state, httponly=True)
        return response

    @floor.post("/launch/")
    def launch() -> Any:
        if not (request.form.get("id_token") and request.form.get("state")):
            return "", 400
        return redirect(url_for("done"), code=303)

    @floor.get("/done/")
    def done() -> str:
        return render_template("page.html", title="floor page")

    return floor


if __name__ == "__main__":
    from servers import serve_from_command_line  # bench/ is on sys.path when this file is run

    serve_from_command_line(flask_app() if os.environ.get("FLOOR_FLASK") == "1" else app,
                            __doc__.splitlines()[0], default_port=9002)
