"""Session-start burst benchmark: N participants launch, read and submit within two minutes.

The moment that hurts in a live session is its start: the facilitator says "open module 1 now" and a
whole group launches at once. This benchmark plays that moment against `emm-lti serve` over real HTTP
on loopback. N different people, in several courses (one per country cohort), each:

    login -> launch (a Moodle-shaped id_token signed by the fake LMS) -> the module page
    -> five reading pages: the page (GET), then its "Next" form (POST read, 303 to the next page)
    -> the quiz page (GET) -> the submission (POST, 303) -> the result page (GET)

Arrivals follow a session start: --early-share of the participants (default 80 %) arrive in the first
--early seconds (default 30 s), front-loaded (a truncated exponential with a 10 s mean), the rest
evenly over as long again (30-60 s); between two steps each pauses --think seconds on average (reading a page,
answering the quiz). With the defaults every participant has submitted about 1.5 minutes after the start
(the two-minute window of the budget is checked). Answers are right with probability --right-share per
question (the driver reads the answer key from the curriculum and matches the option texts it is shown).

Two configurations (--config):
- embedded: the default install: SQLite (WAL), the file state store, the grade worker inside each
  web process;
- postgres: PostgreSQL + Redis with EMM_EMBEDDED_WORKER=false and --grade-workers separate
  `emm-lti worker` processes (a scratch database made on --database-url and dropped at the end).

The fake LMS runs in its own process on loopback: it serves the platform key set, the OAuth2 token
endpoint (it checks the tool's signed client assertion) and Moodle's AGS score endpoint (409 for a
timestamp that is not newer, as Moodle does), and notes when each score is stored. The load generator
(this process: one thread per participant) and the fake LMS share the machine with the servers; their
CPU is reported beside the servers'.

Figures: throughput, p50/p95/p99/max per step, every error (any status other than the one the step
expects, or a connection error), CPU of the web servers, the grade workers, the PostgreSQL backends of
the scratch database, the load generator and the fake LMS, and grade delivery: lag from sending the
submission to the score stored at the LMS (p50/p95/max) and that every score arrived exactly once.
A run "holds" with 0 errors, every score stored once and every step's p95 under 1 s.

    python bench/burst_bench.py [--quick] [--participants 500[,1000]] [--config embedded|postgres]
                                [--workers 2] [--threads 4] [--grade-workers 2] [--env EMM_NAME=VALUE]
                                [--think 6] [--early 30] [--early-share 0.8] [--right-share 0.75]
                                [--courses 3] [--module m01] [--database-url URL] [--redis-url URL]
                                [--seed 1] [--json FILE]

The exit status is 1 when a request errs or a score is lost, duplicated or late past --grade-timeout
(never because of latency). Every socket is on 127.0.0.1; every wait is bounded; the servers, workers,
fake LMS, scratch database and temporary folder are removed on exit, Ctrl-C or SIGTERM.
See docs/performance.md ("Session-start burst") for the figures.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import multiprocessing
import os
import platform as pyplatform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    HOST,
    Server,
    clean_env,
    create_scratch_database,
    drop_scratch_database,
    emm_lti_command,
    exit_on_sigterm,
    machine_busy_seconds,
    platform_add,
    revision,
    serve_command,
    tree_cpu_seconds,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "moodle"
CLIENT_ID = "burst-bench"
DEPLOYMENT_ID = "1"
#: the courses' countries, in turn (one cohort per country, as IOM trains several countries at once)
COUNTRIES = ("AG", "GD", "VC", "BB", "DM", "KN", "LC", "JM", "TT", "GY")
#: the steps of a participant's session, in order, and the status each must answer
STEPS = ("login", "launch", "module", "page", "read", "quiz", "submit", "result")
EXPECTED = {"login": 302, "launch": 303, "module": 200, "page": 200, "read": 303, "quiz": 200, "submit": 303,
            "result": 200}
#: every step's p95 must stay under this for a run to hold (the design's budget: page p95 under 1 s)
P95_BUDGET_MS = 1000.0
#: the participants' reading pauses, relative: uniform in [0.5, 1.5] x --think
THINK_SPREAD = (0.5, 1.5)
#: mean of the early arrivals' truncated exponential (most people open the activity at once)
EARLY_MEAN = 10.0
REQUEST_TIMEOUT = 30.0
#: the warm-up's participants are numbered from here (the burst's from 1)
WARMUP_FIRST = 1_000_000


# -- the fake LMS, in its own process -------------------------------------------------------------

SCORE_PATH = re.compile(r"^/mod/lti/services\.php/(?P<course>[^/]+)/lineitems/(?P<item>[^/]+)/lineitem/scores$")


def lms_main(conn: Any, jwks: dict[str, Any], tool_jwks_url: str) -> None:
    """The fake LMS: key set, token endpoint, AGS scores; answers the parent's "report" and "stop" over `conn`."""
    import logging
    import secrets
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import jwt

    logging.basicConfig(level=logging.WARNING)
    lock = threading.Lock()
    state: dict[str, Any] = {"token_requests": 0, "token_refusals": [], "tokens": set(), "posts": Counter(),
                             "stored": {}, "conflicts": 0, "refusals": []}
    jwks_body = json.dumps(jwks).encode()
    tool_keys: dict[str, Any] = {}

    def tool_key(kid: str) -> Any:
        with lock:
            if kid not in tool_keys:
                client = jwt.PyJWKClient(tool_jwks_url, cache_keys=False)
                for key in client.get_signing_keys():
                    tool_keys[key.key_id] = key.key
            return tool_keys.get(kid)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes = b"", content_type: str = "application/json",
                    reason: str | None = None) -> None:
            self.send_response(status, reason)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path == "/jwks":
                self._answer(200, jwks_body)
            else:
                self._answer(404, b"{}")

        def do_POST(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/token":
                self._token(parse_qs(body.decode()))
                return
            match = SCORE_PATH.match(path)
            if match:
                self._score(match["item"], body)
                return
            self._answer(404, b"{}")

        def _token(self, form: dict[str, list[str]]) -> None:
            """OAuth2 client credentials with the tool's signed assertion (Moodle's mod/lti/token.php)."""
            with lock:
                state["token_requests"] += 1
            assertion = (form.get("client_assertion") or [""])[0]
            try:
                kid = jwt.get_unverified_header(assertion).get("kid", "")
                key = tool_key(kid)
                if key is None:
                    raise jwt.InvalidTokenError(f"unknown kid {kid!r}")
                claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=self._url("/token"))
                if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
                    raise jwt.InvalidTokenError("iss and sub must be the client id")
            except (jwt.PyJWTError, OSError) as exc:
                with lock:
                    state["token_refusals"].append(str(exc)[:200])
                self._answer(401, json.dumps({"error": "invalid_client"}).encode())
                return
            token = secrets.token_hex(16)
            with lock:
                state["tokens"].add(token)
            scope = (form.get("scope") or [""])[0]
            self._answer(200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                                          "scope": scope}).encode())

        def _url(self, path: str) -> str:
            return f"http://{HOST}:{self.server.server_port}{path}"

        def _score(self, item: str, raw: bytes) -> None:
            """Moodle's rules: a bearer token, userId and timestamp; 409 unless newer, to the second."""
            arrived = time.time()
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            with lock:
                known = bearer in state["tokens"]
            if not known:
                self._answer(401, b'{"error": "invalid_token"}')
                return
            score: Any = None
            try:
                score = json.loads(raw)
                user = str(score["userId"])
                stamp = datetime.fromisoformat(score["timestamp"].replace("Z", "+00:00"))
                given = float(score["scoreGiven"])
                if score.get("gradingProgress") != "FullyGraded":
                    raise ValueError("gradingProgress is not FullyGraded")
            except (ValueError, KeyError, TypeError) as exc:
                with lock:
                    state["refusals"].append(f"line item {item}: {type(exc).__name__}: {exc}"[:200])
                self._answer(400, b"[]", reason="Incorrect score received")
                return
            key = f"{item}|{user}"
            with lock:
                state["posts"][key] += 1
                previous = state["stored"].get(key)
                if previous is not None and int(stamp.timestamp()) <= int(previous["stamp"]):
                    state["conflicts"] += 1
                    conflict = True
                else:
                    state["stored"][key] = {"at": arrived, "stamp": stamp.timestamp(), "given": given,
                                            "stores": (previous or {}).get("stores", 0) + 1}
                    conflict = False
            if conflict:
                self._answer(409, b'{"error": "the timestamp is not newer than the stored one"}')
            else:
                self._answer(200, b"", content_type="application/vnd.ims.lis.v1.score+json")

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-lms", daemon=True).start()
    conn.send(server.server_port)
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                break
            if message == "stop":
                break
            if message == "report":
                with lock:
                    conn.send({"token_requests": state["token_requests"], "token_refusals": list(state["token_refusals"]),
                               "posts": dict(state["posts"]), "stored": dict(state["stored"]),
                               "conflicts": state["conflicts"], "refusals": list(state["refusals"])})
    finally:
        server.shutdown()
        server.server_close()


class FakeLms:
    """The parent's side of the fake LMS: its key (the parent signs the id_tokens), URLs and process."""

    def __init__(self, tool_url: str):
        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "burst-lms"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._lock = threading.Lock()
        self.proc = ctx.Process(target=lms_main, args=(child, {"keys": [jwk]}, tool_url + "/.well-known/jwks.json"),
                                name="fake-lms", daemon=True)
        self.proc.start()
        child.close()
        if not self._conn.poll(60):
            raise RuntimeError("the fake LMS did not start within 60 s")
        self.base = f"http://{HOST}:{self._conn.recv()}"
        self.issuer = self.base
        self._header = _b64(json.dumps({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, separators=(",", ":")).encode())

    def lineitem(self, course: int) -> str:
        return f"{self.base}/mod/lti/services.php/burst-{course}/lineitems/{course + 1}/lineitem?type_id=1"

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        signing_input = self._header + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
        return (signing_input + b"." + _b64(self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))).decode()

    def report(self) -> dict[str, Any]:
        with self._lock:
            self._conn.send("report")
            if not self._conn.poll(60):
                raise RuntimeError("the fake LMS did not report within 60 s")
            return self._conn.recv()

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid) if self.proc.pid else 0.0

    def stop(self) -> None:
        try:
            with self._lock:
                self._conn.send("stop")
        except (OSError, ValueError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


# -- a participant --------------------------------------------------------------------------------

@dataclass
class Person:
    """One participant: who they are, where they are (course), when they arrive and how they answer."""

    number: int
    course: int
    arrival: float
    answers_right: float
    seed: int

    @property
    def sub(self) -> str:
        return f"burst-{self.number}"


@dataclass
class Sample:
    step: str
    #: seconds from the run's start when the request was sent
    at: float
    seconds: float


@dataclass
class Trace:
    """What one participant's session gave: timings, errors, and when its submission was sent."""

    person: Person
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    submitted_at: float | None = None   # wall clock (time.time()) when the submission was sent
    finished: float | None = None       # seconds from the start when the result page arrived
    score_percent: int | None = None


class StepFailed(Exception):
    """A request answered something other than what its step expects; the session stops there."""


class Browser:
    """One participant's browser tab: a keep-alive connection that is dropped after each pause (gunicorn
    closes idle connections after 5 s), the state cookie between login and launch only."""

    def __init__(self, port: int, trace: Trace, start: float):
        self._port = port
        self._conn: http.client.HTTPConnection | None = None
        self._trace = trace
        self._start = start

    def fresh(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def request(self, step: str, method: str, path: str, form: dict[str, str] | list[tuple[str, str]] | None = None,
                cookie: str = "") -> tuple[int, str, str, list[str]]:
        """Send one request; returns (status, Location, body, Set-Cookie values). StepFailed on a wrong status."""
        headers = {}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie:
            headers["Cookie"] = cookie
        sent = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self._port, timeout=REQUEST_TIMEOUT)
            self._conn.request(method, path, body, headers)
            response = self._conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.fresh()
            self._fail(step, sent, f"{method} {_redact(path)}: {type(exc).__name__}: {exc}"[:300])
        elapsed = time.perf_counter() - sent
        if response.status != EXPECTED[step]:
            self._fail(step, sent, f"{method} {_redact(path)}: HTTP {response.status} (expected {EXPECTED[step]}): "
                                   f"{_snippet(text)}")
        self._trace.samples.append(Sample(step, sent - self._start, elapsed))
        if response.getheader("Connection", "").lower() == "close":
            self.fresh()
        return (response.status, response.getheader("Location", ""), text,
                [c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or ()])

    def _fail(self, step: str, sent: float, message: str) -> None:
        self._trace.errors.append(f"{step}: {message}")
        # a failed request is timed too, so a run with errors still shows how long they took
        self._trace.samples.append(Sample(step, sent - self._start, time.perf_counter() - sent))
        raise StepFailed(message)


def _redact(path: str) -> str:
    """A path with its launch reference cut out (the errors are printed)."""
    return re.sub(r"^/l/[^/]+", "/l/<ref>", path)


def _snippet(html: str) -> str:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    text = title.group(1) if title else html
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())[:160]


def _path(location: str, port: int) -> str:
    """A redirect's path on the tool; StepFailed when it leads elsewhere."""
    origin = f"http://{HOST}:{port}"
    if location.startswith(origin + "/"):
        return location[len(origin):]
    if location.startswith("/"):
        return location
    raise StepFailed(f"redirected off the tool to {location[:80]!r}")


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _hidden_fields(form_html: str) -> list[tuple[str, str]]:
    return [(name, unescape(value)) for name, value in HIDDEN.findall(form_html)]


def _form(html: str, action_part: str) -> tuple[str, str]:
    """(action, inner HTML) of the first form whose action contains `action_part`."""
    for match in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        if action_part in match.group(1):
            return unescape(match.group(1)), match.group(2)
    raise StepFailed(f"no form posting to …{action_part} on the page")


class Session:
    """Plays one participant's whole session: the launch, five pages, the quiz."""

    def __init__(self, run: "Run", person: Person):
        self.run = run
        self.person = person
        self.trace = Trace(person)
        self.rng = random.Random(person.seed)

    def pause(self) -> None:
        """Reading or answering: the connection is gone by the time the learner clicks again."""
        low, high = THINK_SPREAD
        time.sleep(self.run.think * self.rng.uniform(low, high))
        self.browser.fresh()

    def play(self) -> Trace:
        run = self.run
        self.browser = Browser(run.port, self.trace, run.start)
        delay = run.start + self.person.arrival - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            self._play()
        except StepFailed:
            pass
        finally:
            self.browser.fresh()
        return self.trace

    def _play(self) -> None:
        run, person, browser = self.run, self.person, self.browser
        _status, location, _body, cookies = browser.request("login", "POST", "/lti/login", {
            "iss": run.lms.issuer, "target_link_uri": run.launch_url, "login_hint": person.sub,
            "lti_message_hint": json.dumps({"cmid": person.course + 1, "launchid": f"burst-{person.number}"}),
            "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID})
        query = parse_qs(urlsplit(location).query)
        if "state" not in query or "nonce" not in query:
            raise StepFailed(f"login redirected to {location[:80]!r}")
        token = run.lms.sign(run.claims(person, query["nonce"][0]))  # the LMS's work, not timed
        _status, location, _body, _ = browser.request("launch", "POST", "/lti/launch",
                                                      {"id_token": token, "state": query["state"][0]},
                                                      cookie="; ".join(cookies))
        module_path = _path(location, run.port)
        _status, _loc, html, _ = browser.request("module", "GET", module_path)
        if run.module_title not in unescape(html):
            raise StepFailed("the module page does not show the module's title")
        prefix = module_path.rsplit("/m/", 1)[0]
        pages = list(dict.fromkeys(re.findall(rf'href="{re.escape(prefix)}/m/{run.module}/p/([^"#]+)"', html)))
        if not pages:
            raise StepFailed("the module page links to no reading page")
        path = f"{prefix}/m/{run.module}/p/{pages[0]}"
        self.pause()
        for number in range(1, run.pages + 1):
            _status, _loc, html, _ = browser.request("page", "GET", path)
            action, inner = _form(html, "/read")
            fields = dict(_hidden_fields(inner))
            if number == run.pages and fields.get("go") == "next":
                fields["go"] = "quiz"   # the learner goes to the quiz after the pages the session reads
            self.pause()
            _status, location, _body, _ = browser.request("read", "POST", action, fields)
            path = _path(location, run.port)
        if not path.endswith(f"/m/{run.module}/quiz"):
            raise StepFailed(f"the last page's Next went to {_redact(path)!r}, not to the quiz")
        _status, _loc, html, _ = browser.request("quiz", "GET", path)
        action, inner = _form(html, "/quiz")
        answers = run.answer_key.answer(inner, self.rng, self.person.answers_right)
        self.pause()
        self.trace.submitted_at = time.time()
        _status, location, _body, _ = browser.request("submit", "POST", action, _hidden_fields(inner) + answers)
        _status, _loc, html, _ = browser.request("result", "GET", _path(location, run.port))
        self.trace.finished = time.perf_counter() - run.start
        shown = re.search(r"(\d+)\s*%", _snippet_text(html))
        self.trace.score_percent = int(shown.group(1)) if shown else None


def _snippet_text(html: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main.group(0) if main else html)).split())


# -- answering the quiz ---------------------------------------------------------------------------

class _QuizParser(HTMLParser):
    """The questions of a quiz form as shown: per question its choices (value, text) and rows (field, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.questions: list[dict[str, Any]] = []
        self._q: dict[str, Any] | None = None
        self._text: list[str] | None = None
        self._target: tuple[str, Any] | None = None
        self._skip = 0
        self._labels: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "fieldset" and a.get("data-question"):
            self._q = {"qid": a["data-question"], "choices": [], "letters": [], "rows": []}
            self.questions.append(self._q)
            self._labels = {}
            return
        if self._q is None:
            return
        if tag == "span" and "letter" in (a.get("class") or "").split():
            self._skip += 1
        elif self._skip:
            self._skip += 1 if tag == "span" else 0
        if tag == "input" and a.get("type") in ("radio", "checkbox"):
            self._target = ("choice", [a.get("value"), a.get("name")])
            self._text = []
        elif tag == "li":
            self._target = ("letter", None)
            self._text = []
        elif tag == "label" and a.get("for"):
            self._target = ("label", a["for"])
            self._text = []
        elif tag == "select":
            self._q["rows"].append([a.get("name"), self._labels.get(a.get("id") or "", "")])

    def handle_endtag(self, tag: str) -> None:
        if self._q is None:
            return
        if tag == "span" and self._skip:
            self._skip -= 1
            return
        if self._target is None or self._text is None:
            if tag == "fieldset":
                self._q = None
            return
        text = " ".join("".join(self._text).split())
        kind, data = self._target
        if kind == "choice" and tag == "label":
            self._q["choices"].append((data[0], data[1], text))
        elif kind == "letter" and tag == "li":
            self._q["letters"].append(text)
        elif kind == "label" and tag == "label":
            self._labels[data] = text
        else:
            return
        self._target = self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None and not self._skip:
            self._text.append(data)


def _norm(text: str) -> str:
    return " ".join(text.split())


class AnswerKey:
    """The curriculum's answers (read with the tool's own loader), matched to what a quiz page shows."""

    def __init__(self, module_id: str, lang: str):
        from lti_tool.content import load_catalogue
        from lti_tool.paths import modules_dir

        module = load_catalogue(modules_dir()).get(module_id)
        if module is None or module.quiz(lang) is None:
            raise SystemExit(f"--module {module_id}: no such module with a quiz in {lang!r}")
        self.module = module
        self.quiz = module.quiz(lang)

    def answer(self, form_html: str, rng: random.Random, right: float) -> list[tuple[str, str]]:
        """Form fields answering every question shown: each right with probability `right`."""
        from lti_tool.content.schema import QuestionType

        parser = _QuizParser()
        parser.feed(form_html)
        if not parser.questions:
            raise StepFailed("the quiz page shows no question")
        fields: list[tuple[str, str]] = []
        for shown in parser.questions:
            q = self.quiz.question(shown["qid"])
            if q is None:
                raise StepFailed(f"the quiz shows question {shown['qid']!r}, which the curriculum does not have")
            good = rng.random() < right
            field_name = f"q-{q.id}"
            if q.type is QuestionType.TRUE_FALSE:
                fields.append((field_name, "true" if bool(q.answer) == good else "false"))
            elif q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
                correct = {_norm(o.text) for o in q.options if o.correct}
                right_values = [v for v, _n, text in shown["choices"] if _norm(text) in correct]
                wrong_values = [v for v, _n, text in shown["choices"] if _norm(text) not in correct]
                if not right_values or not wrong_values:
                    raise StepFailed(f"question {q.id}: the options shown do not match the curriculum")
                if q.type is QuestionType.SINGLE:
                    fields.append((field_name, right_values[0] if good else rng.choice(wrong_values)))
                else:
                    fields += [(field_name, v) for v in (right_values if good else wrong_values[:1])]
            elif q.type is QuestionType.MATCHING:
                right_of = {_norm(p.left): _norm(p.right) for p in q.pairs}
                letters = [_norm(t) for t in shown["letters"]]
                for row, (name, label) in enumerate(shown["rows"]):
                    wanted = right_of.get(_norm(label))
                    if wanted not in letters:
                        raise StepFailed(f"question {q.id}: the matching rows do not match the curriculum")
                    position = letters.index(wanted)
                    if not good:
                        position = (position + 1) % len(letters)
                    fields.append((name, str(position + 1)))
            elif q.type is QuestionType.ORDERING:
                order = [_norm(i.text) for i in q.items]
                rows = shown["rows"]
                positions = []
                for name, label in rows:
                    if _norm(label) not in order:
                        raise StepFailed(f"question {q.id}: the items shown do not match the curriculum")
                    positions.append(order.index(_norm(label)) + 1)
                if not good:
                    positions = positions[1:] + positions[:1]   # still a permutation: a valid, wrong order
                fields += [(name, str(p)) for (name, _label), p in zip(rows, positions)]
        return fields


# -- the run --------------------------------------------------------------------------------------

def arrivals(count: int, early: float, early_share: float, rng: random.Random) -> list[float]:
    """Seconds from the start at which each participant opens the activity: `early_share` of them in the
    first `early` seconds, front-loaded (a truncated exponential), the rest evenly over as long again."""
    times = []
    n_early = round(count * early_share)
    ceiling = 1 - math.exp(-early / EARLY_MEAN)
    for i in range(count):
        if i < n_early:
            times.append(-EARLY_MEAN * math.log(1 - rng.random() * ceiling))
        else:
            times.append(early * (1 + rng.random()))
    rng.shuffle(times)
    return times


class Run:
    """One measured burst against one running tool."""

    def __init__(self, *, port: int, lms: FakeLms, people: list[Person], think: float, module: str,
                 answer_key: AnswerKey, pages: int, claims_base: dict[str, Any], label: str = "measured"):
        self.port = port
        self.lms = lms
        self.people = people
        self.think = think
        self.module = module
        self.answer_key = answer_key
        self.module_title = answer_key.module.title("en").text
        self.pages = pages
        self.launch_url = f"http://{HOST}:{port}/lti/launch"
        self._claims = claims_base
        self.label = label
        self.start = 0.0

    def claims(self, person: Person, nonce: str) -> dict[str, Any]:
        """A Moodle student resource-link launch (fixture 02) for this person in their course."""
        claims = dict(self._claims)
        now = int(time.time())
        course = person.course
        country = COUNTRIES[course % len(COUNTRIES)]
        lms = self.lms.base
        claims.update({
            "iss": self.lms.issuer, "aud": CLIENT_ID, "nonce": nonce, "iat": now, "exp": now + 60,
            "sub": person.sub, "given_name": "Participant", "family_name": str(person.number),
            "name": f"Participant {person.number}", "email": f"participant{person.number}@example.org",
            LTI + "deployment_id": DEPLOYMENT_ID, LTI + "target_link_uri": self.launch_url,
            LTI + "lis": {"person_sourcedid": f"{country}-{person.number:05d}",
                          "course_section_sourcedid": f"EMM2-{country}"},
            LTI + "context": {"id": f"burst-{course}", "label": f"EMM2-{country}",
                              "title": f"EMM2.0 session ({country})", "type": ["CourseSection"]},
            LTI + "resource_link": {"id": f"burst-link-{course}", "title": f"Module {self.module}"},
            LTI + "custom": {"module": self.module, "person_country": country},
            LTI + "launch_presentation": {"locale": "en", "document_target": "iframe",
                                          "return_url": f"{lms}/mod/lti/return.php?course={course}"},
            AGS: {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                            "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                            "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                  "lineitems": f"{lms}/mod/lti/services.php/burst-{course}/lineitems?type_id=1",
                  "lineitem": self.lms.lineitem(course)},
            NRPS: {"context_memberships_url": f"{lms}/mod/lti/services.php/CourseSection/burst-{course}/bindings/1/memberships",
                   "service_versions": ["1.0", "2.0"]},
        })
        claims.pop("https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome", None)
        return claims

    def play(self) -> tuple[list[Trace], float]:
        """Every participant's session, each in its own thread; returns the traces and the wall time."""
        traces: list[Trace | None] = [None] * len(self.people)
        threading.stack_size(512 * 1024)

        def one(i: int) -> None:
            traces[i] = Session(self, self.people[i]).play()

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(self.people))]
        self.start = time.perf_counter() + 0.5
        for thread in threads:
            thread.start()
        longest = max((p.arrival for p in self.people), default=0) + 20 * self.think * THINK_SPREAD[1] + 600
        for thread in threads:
            thread.join(timeout=max(0.1, self.start + longest - time.perf_counter()))
        wall = time.perf_counter() - self.start
        done = []
        for i, trace in enumerate(traces):
            if trace is None:   # still running past every bound: counted as an error
                trace = Trace(self.people[i], errors=["session: did not finish within the run's bound"])
            done.append(trace)
        return done, wall


LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


# -- figures --------------------------------------------------------------------------------------

def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def step_figures(traces: list[Trace]) -> dict[str, dict[str, Any]]:
    by_step: dict[str, list[float]] = {s: [] for s in STEPS}
    for trace in traces:
        for sample in trace.samples:
            by_step[sample.step].append(sample.seconds * 1000)
    figures = {}
    for step in STEPS:
        values = sorted(by_step[step])
        figures[step] = {"requests": len(values), **{f"p{p}_ms": _round(percentile(values, p)) for p in (50, 95, 99)},
                         "max_ms": _round(values[-1] if values else None)}
    return figures


def timeline(traces: list[Trace], bucket: float = 10.0) -> list[dict[str, Any]]:
    """Requests sent and their p95 per `bucket` seconds from the start: the burst's shape."""
    buckets: dict[int, list[float]] = {}
    for trace in traces:
        for sample in trace.samples:
            buckets.setdefault(int(sample.at // bucket), []).append(sample.seconds * 1000)
    return [{"from_s": int(k * bucket), "requests": len(v), "per_s": round(len(v) / bucket, 1),
             "p95_ms": _round(percentile(sorted(v), 95))} for k, v in sorted(buckets.items())]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def grade_figures(traces: list[Trace], lms_report: dict[str, Any], lineitems: dict[int, str]) -> dict[str, Any]:
    """Lag from sending each submission to its score stored at the LMS, and the exactly-once check."""
    stored, posts = lms_report["stored"], lms_report["posts"]
    lags, missing, duplicated = [], [], []
    expected_keys = set()
    for trace in traces:
        if trace.submitted_at is None or any(e.startswith("submit") for e in trace.errors):
            continue
        item = lineitems[trace.person.course]
        key = f"{item}|{trace.person.sub}"
        expected_keys.add(key)
        entry = stored.get(key)
        if entry is None:
            missing.append(trace.person.sub)
            continue
        if entry["stores"] != 1 or posts.get(key, 0) != 1:
            duplicated.append(f"{trace.person.sub}: stored {entry['stores']}x in {posts.get(key, 0)} posts")
        lags.append(entry["at"] - trace.submitted_at)
    unexpected = sorted(k for k in stored if k not in expected_keys)
    lags.sort()
    return {
        "submitted": len(expected_keys), "stored": len(expected_keys) - len(missing), "missing": missing[:20],
        "missing_count": len(missing), "not_once": duplicated[:20], "not_once_count": len(duplicated),
        "unexpected": unexpected[:20], "unexpected_count": len(unexpected),
        "score_posts": sum(posts.values()), "conflicts_409": lms_report["conflicts"],
        "refused": lms_report["refusals"][:10], "token_requests": lms_report["token_requests"],
        "token_refusals": lms_report["token_refusals"][:5],
        "lag_p50_s": _round(percentile(lags, 50), 2), "lag_p95_s": _round(percentile(lags, 95), 2),
        "lag_max_s": _round(lags[-1] if lags else None, 2),
        "exactly_once": not missing and not duplicated and not unexpected and bool(expected_keys),
    }


def outbox_counts(database_url: str) -> dict[str, int]:
    """grade_delivery rows by status, read from the tool's database after the run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {status: count for status, count in conn.execute(text(
                "SELECT status, count(*) FROM grade_delivery GROUP BY status"))}
    finally:
        engine.dispose()


# -- the tool and its processes -------------------------------------------------------------------

@dataclass
class Deployment:
    """The tool as one configuration runs it: web servers, grade workers, database and state store."""

    config: str
    workdir: Path
    web: Server
    database_url: str
    workers: list[subprocess.Popen] = field(default_factory=list)
    scratch: str | None = None

    def worker_cpu(self) -> float:
        return sum(tree_cpu_seconds(p.pid) for p in self.workers if p.poll() is None)

    def stop(self) -> None:
        self.web.stop()
        for proc in self.workers:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, 15)
                except ProcessLookupError:
                    pass
        for proc in self.workers:
            try:
                proc.wait(25)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(5)
        if self.scratch:
            try:
                drop_scratch_database(self.scratch)
            except Exception as exc:  # noqa: BLE001 - report, go on cleaning up
                print(f"could not drop the scratch database: {exc}", file=sys.stderr)


def deploy(args: argparse.Namespace, lms: FakeLms, web: Server, workdir: Path) -> Deployment:
    """Register the fake LMS, start `emm-lti serve` (and `emm-lti worker`s for postgres), wait until ready."""
    env = clean_env(EMM_INSTANCE_PATH=str(workdir / "instance"), EMM_LOG_LEVEL="WARNING")
    scratch = None
    if args.config == "postgres":
        scratch = create_scratch_database(args.database_url, "emm_burst_bench")
        env.update(EMM_DATABASE_URL=scratch, EMM_CACHE_URL=args.redis_url, EMM_EMBEDDED_WORKER="false")
        database_url = scratch
    else:
        database_url = f"sqlite:///{workdir / 'instance' / 'emm-lti.sqlite3'}"
    env.update(dict(args.env))
    deployment = Deployment(args.config, workdir, web, database_url, scratch=scratch)
    try:
        platform_add(env, workdir, issuer=lms.issuer, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID,
                     auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                     key_set_url=lms.base + "/jwks", name="Burst LMS")
        web.start(serve_command(web.port, args.workers, args.threads), env, workdir)
        web.wait_ready()
        if args.config == "postgres":
            for n in range(args.grade_workers):
                log = open(workdir / f"worker-{n + 1}.log", "wb")
                deployment.workers.append(subprocess.Popen(
                    [*emm_lti_command(), "worker"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True))
                log.close()
    except BaseException:
        deployment.stop()
        raise
    return deployment


def postgres_backends(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the scratch database (from /proc)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (url.database,))]
    return {pid: tree_cpu_seconds(pid) for pid in pids}


def cpu_snapshot(deployment: Deployment, lms: FakeLms) -> dict[str, Any]:
    snap = {"web": deployment.web.cpu_seconds(), "grade_workers": deployment.worker_cpu(),
            "driver": time.process_time(), "fake_lms": lms.cpu_seconds(), "machine": machine_busy_seconds(),
            "postgres": {}}
    if deployment.config == "postgres":
        snap["postgres"] = postgres_backends(deployment.database_url)
    return snap


def cpu_figures(before: dict[str, Any], after: dict[str, Any], wall: float, participants: int) -> dict[str, Any]:
    """CPU seconds each part used between the snapshots (PostgreSQL: backends of this database only)."""
    used = {k: max(0.0, after[k] - before[k]) for k in ("web", "grade_workers", "driver", "fake_lms", "machine")}
    used["postgres"] = sum(cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items())
    ours = used["web"] + used["grade_workers"] + used["postgres"]
    used["other"] = max(0.0, used["machine"] - ours - used["driver"] - used["fake_lms"])
    cores = len(os.sched_getaffinity(0))
    figures = {f"{k}_s": round(v, 2) for k, v in used.items()}
    figures.update({
        "cores": cores, "wall_s": round(wall, 1),
        "server_ms_per_participant": round((used["web"] + used["grade_workers"]) * 1000 / max(1, participants), 1),
        "tool_ms_per_participant": round(ours * 1000 / max(1, participants), 1),
        "load_generator_pct": round((used["driver"] + used["fake_lms"]) * 100 / (wall * cores), 1),
        "tool_pct": round(ours * 100 / (wall * cores), 1),
        "other_pct": round(used["other"] * 100 / (wall * cores), 1),
    })
    return figures


# -- one size -------------------------------------------------------------------------------------

def people_for(count: int, args: argparse.Namespace, rng: random.Random, first: int = 1) -> list[Person]:
    times = arrivals(count, args.early, args.early_share, rng)
    return [Person(first + i, (first + i) % args.courses, times[i], args.right_share, rng.randrange(2 ** 31))
            for i in range(count)]


def run_size(count: int, args: argparse.Namespace, answer_key: AnswerKey, claims_base: dict[str, Any]) -> dict[str, Any]:
    """A fresh tool (instance, database, servers), a short warm-up, then the burst of `count` participants."""
    rng = random.Random(args.seed * 1_000_003 + count)
    workdir = Path(tempfile.mkdtemp(prefix="emm-burst-bench-", dir=args.workdir))
    web = Server(name="emm-lti serve", ready_path="/healthz")
    lms = FakeLms(web.url)
    deployment: Deployment | None = None
    try:
        deployment = deploy(args, lms, web, workdir)
        lineitems = {c: urlsplit(lms.lineitem(c)).path.split("/lineitems/")[1].split("/")[0] for c in range(args.courses)}
        warm = [Person(WARMUP_FIRST + i, i % args.courses, 0.0, 1.0, rng.randrange(2 ** 31)) for i in range(args.warmup)]
        if warm:   # first requests of each process: imports, templates, key set, connection pools
            warm_traces, _ = Run(port=web.port, lms=lms, people=warm, think=0.0, module=args.module,
                                 answer_key=answer_key, pages=args.pages, claims_base=claims_base,
                                 label="warm-up").play()
            warm_errors = [e for t in warm_traces for e in t.errors]
            if warm_errors:
                raise RuntimeError("the warm-up failed:\n  " + "\n  ".join(warm_errors[:10])
                                   + f"\n--- server log ---\n{web.log_tail()}")
            wait_for_scores(lms, len(warm), 60)
        people = people_for(count, args, rng)
        run = Run(port=web.port, lms=lms, people=people, think=args.think, module=args.module,
                  answer_key=answer_key, pages=args.pages, claims_base=claims_base)
        print(f"  {count} participants, {args.config}: running (arrivals over {max(p.arrival for p in people):.0f} s, "
              f"load average {os.getloadavg()[0]:.2f})", flush=True)
        before = cpu_snapshot(deployment, lms)
        profilers = start_profilers(deployment, args.profile, count) if args.profile else []
        try:
            traces, wall = run.play()
        finally:
            stop_profilers(profilers)
        submitted = sum(1 for t in traces if t.submitted_at is not None)
        waited = wait_for_scores(lms, submitted + len(warm), args.grade_timeout)
        after = cpu_snapshot(deployment, lms)
        report = lms.report()
        for key in list(report["stored"]):   # the warm-up's scores were checked by the warm-up
            if int(key.split("|", 1)[1].removeprefix("burst-")) >= WARMUP_FIRST:
                report["stored"].pop(key)
                report["posts"].pop(key, None)
        outbox = outbox_counts(deployment.database_url)
        errors = [f"{t.person.sub}: {e}" for t in traces for e in t.errors]
        steps = step_figures(traces)
        grades = grade_figures(traces, report, lineitems)
        finished = [t.finished for t in traces if t.finished is not None]
        requests = sum(s["requests"] for s in steps.values())
        worst = max((s["p95_ms"] for s in steps.values() if s["p95_ms"] is not None), default=None)
        result = {
            "participants": count, "config": args.config, "workers": args.workers, "threads": args.threads,
            "grade_workers": args.grade_workers if args.config == "postgres" else f"embedded x{args.workers}",
            "env": [name for name, _ in args.env], "completed": len(finished), "submitted": submitted,
            "requests": requests, "wall_s": round(wall, 1),
            "throughput_rps": round(requests / wall, 1) if wall else None,
            "peak_rps_10s": max((b["per_s"] for b in timeline(traces)), default=None),
            "last_arrival_s": round(max(p.arrival for p in people), 1),
            "last_result_s": round(max(finished), 1) if finished else None,
            "within_window": bool(finished) and max(finished) <= args.window,
            "steps": steps, "worst_p95_ms": worst, "errors": len(errors), "error_list": errors[:50],
            "grades": grades, "scores_waited_s": round(waited, 1), "outbox": outbox,
            "cpu": cpu_figures(before, after, wall, count), "timeline": timeline(traces),
            "load_average_end": round(os.getloadavg()[0], 2),
        }
        result["held"] = (not errors and grades["exactly_once"] and worst is not None and worst < P95_BUDGET_MS
                          and result["completed"] == count)
        return result
    finally:
        if deployment is not None:
            if args.keep:
                print(f"  kept {workdir} (server log: {web.log_path})", file=sys.stderr)
            deployment.stop()
        else:
            web.stop()
        lms.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def start_profilers(deployment: Deployment, folder: Path, count: int) -> list[subprocess.Popen]:
    """`py-spy record` on the web server (master and workers) and each grade worker for the burst: what
    limits the tool is read from these (collapsed stacks, one file per process tree, `--profile` folder)."""
    py_spy = Path(sys.executable).parent / "py-spy"
    if not py_spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install -e '.[bench]'")
    folder.mkdir(parents=True, exist_ok=True)
    targets = [("web", deployment.web.proc.pid)] + [(f"worker-{n + 1}", p.pid) for n, p in enumerate(deployment.workers)]
    profilers = []
    for name, pid in targets:
        out = folder / f"{deployment.config}-{count}-{name}.txt"
        profilers.append(subprocess.Popen(
            [str(py_spy), "record", "--pid", str(pid), "--subprocesses", "--gil", "--rate", "100", "--nonblocking",
             "--format", "raw", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL))
    return profilers


def stop_profilers(profilers: list[subprocess.Popen]) -> None:
    """SIGINT, as Ctrl-C: py-spy writes its file and exits."""
    for proc in profilers:
        proc.send_signal(2)
    for proc in profilers:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_for_scores(lms: FakeLms, expected: int, timeout: float) -> float:
    """Seconds until the fake LMS holds `expected` scores (bounded by `timeout`)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if len(lms.report()["stored"]) >= expected:
            break
        time.sleep(0.2)
    return time.monotonic() - start


# -- output ---------------------------------------------------------------------------------------

STEP_LABELS = {"login": "login", "launch": "launch", "module": "module page", "page": "reading page",
               "read": "read POST", "quiz": "quiz page", "submit": "submit", "result": "result page"}


def format_result(r: dict[str, Any]) -> str:
    lines = []
    cpu, g = r["cpu"], r["grades"]
    lines.append(f"{r['participants']} participants, {r['config']}, emm-lti serve {r['workers']} workers x "
                 f"{r['threads']} threads, grade workers: {r['grade_workers']}"
                 + (f", settings {', '.join(r['env'])}" if r["env"] else ""))
    header = f"{'step':13} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    lines += [header, "-" * len(header)]
    for step in STEPS:
        s = r["steps"][step]
        cells = [f"{s[k]:8.1f}" if s[k] is not None else f"{'-':>8}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        lines.append(f"{STEP_LABELS[step]:13} {s['requests']:8d} " + " ".join(cells))
    lines.append(f"throughput {r['throughput_rps']} requests/s over {r['wall_s']} s (peak {r['peak_rps_10s']}/s over "
                 f"10 s); {r['completed']}/{r['participants']} sessions finished, the last at {r['last_result_s']} s "
                 f"({'within' if r['within_window'] else 'OUTSIDE'} the window); last arrival at {r['last_arrival_s']} s")
    lines.append(f"errors: {r['errors']}")
    lines += [f"  {e}" for e in r["error_list"][:20]]
    lines.append(f"grades: {g['stored']}/{g['submitted']} stored, "
                 f"{'each exactly once' if g['exactly_once'] else 'NOT exactly once'} "
                 f"({g['score_posts']} posts, {g['conflicts_409']} 409s, {g['token_requests']} token requests); "
                 f"lag p50 {g['lag_p50_s']} s, p95 {g['lag_p95_s']} s, max {g['lag_max_s']} s; outbox {r['outbox']}")
    for what in ("missing", "not_once", "unexpected", "refused", "token_refusals"):
        if g.get(what):
            lines.append(f"  {what}: {g[what][:5]}")
    lines.append(f"CPU s: web {cpu['web_s']}, grade workers {cpu['grade_workers_s']}, PostgreSQL {cpu['postgres_s']} "
                 f"(tool {cpu['tool_pct']}% of {cpu['cores']} cores, {cpu['tool_ms_per_participant']} ms/participant); "
                 f"load generator {cpu['driver_s']} + fake LMS {cpu['fake_lms_s']} ({cpu['load_generator_pct']}%); "
                 f"everything else {cpu['other_s']} ({cpu['other_pct']}%)")
    lines.append("timeline (10 s): " + "  ".join(f"{b['from_s']}s {b['per_s']}/s p95 {b['p95_ms']}" for b in r["timeline"]))
    verdict = "HELD" if r["held"] else "NOT HELD"
    lines.append(f"verdict: {verdict} (0 errors: {r['errors'] == 0}; scores once: {g['exactly_once']}; "
                 f"worst step p95 {r['worst_p95_ms']} ms < {P95_BUDGET_MS:.0f} ms: "
                 f"{r['worst_p95_ms'] is not None and r['worst_p95_ms'] < P95_BUDGET_MS})")
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------

def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--participants takes numbers separated by commas, got {text!r}") from None
    if not sizes or any(not 1 <= n <= 20_000 for n in sizes):
        raise argparse.ArgumentTypeError("--participants: each size between 1 and 20000")
    return sizes


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("EMM_"):
        raise argparse.ArgumentTypeError(f"--env takes EMM_NAME=VALUE, got {text!r}")
    return name, value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


#: --quick: a handful of participants with short pauses, to prove the bench and the tool's path work end to end
#: (tests/deploy/test_burst_bench.py runs it); any option given beside --quick wins
QUICK = {"participants": [8], "think": 0.2, "early": 2.0, "early_share": 1.0, "warmup": 1, "grade_timeout": 60.0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 8 participants, 0.2 s pauses, arrivals over 2 s, one warm-up participant "
                             "(options given beside it win)")
    parser.add_argument("--participants", type=_sizes, default=[500],
                        help="participants in the burst; several sizes separated by commas run one after another, "
                             "each on a fresh tool")
    parser.add_argument("--config", choices=("embedded", "postgres"), default="embedded",
                        help="embedded: SQLite, file state store, grade worker in each web process; postgres: "
                             "PostgreSQL + Redis, EMM_EMBEDDED_WORKER=false, separate emm-lti worker processes")
    parser.add_argument("--workers", type=int, default=2, help="emm-lti serve --workers")
    parser.add_argument("--threads", type=int, default=4, help="emm-lti serve --threads")
    parser.add_argument("--grade-workers", type=int, default=2, help="emm-lti worker processes (postgres)")
    parser.add_argument("--env", action="append", type=_env_pair, default=[], metavar="EMM_NAME=VALUE",
                        help="a setting for the tool's processes (repeatable)")
    parser.add_argument("--database-url", default=os.environ.get("EMM_TEST_DATABASE_URL"),
                        help="PostgreSQL server on loopback for --config postgres (a scratch database is made there); "
                             "default $EMM_TEST_DATABASE_URL")
    parser.add_argument("--redis-url", default=os.environ.get("EMM_TEST_REDIS_URL"),
                        help="Redis for --config postgres; default $EMM_TEST_REDIS_URL")
    parser.add_argument("--module", default="m01", help="the module everyone opens")
    parser.add_argument("--pages", type=int, default=5, help="reading pages each participant reads")
    parser.add_argument("--courses", type=int, default=3, help="courses (one country cohort each)")
    parser.add_argument("--think", type=float, default=6.0,
                        help="mean seconds between two steps of a participant (uniform over 0.5x-1.5x)")
    parser.add_argument("--early", type=float, default=30.0, help="seconds in which most participants arrive")
    parser.add_argument("--early-share", type=_share, default=0.8, help="share of participants arriving in --early")
    parser.add_argument("--window", type=float, default=120.0,
                        help="seconds in which every participant must have submitted and seen the result")
    parser.add_argument("--right-share", type=_share, default=0.75, help="chance each answer is right")
    parser.add_argument("--warmup", type=int, default=3, help="participants before the burst, not counted")
    parser.add_argument("--grade-timeout", type=float, default=60.0,
                        help="seconds to wait after the burst for every score to reach the LMS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temporary instance folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server and worker logs)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--profile", type=Path, metavar="FOLDER",
                        help="record the web server and grade workers with py-spy during the burst (collapsed "
                             "stacks of the threads holding the GIL, i.e. Python CPU time, one file per process tree in FOLDER)")
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)
    if not (1 <= args.workers <= 64 and 1 <= args.threads <= 64 and 1 <= args.grade_workers <= 64):
        parser.error("--workers, --threads and --grade-workers must be between 1 and 64")
    if not 1 <= args.pages <= 50 or not 1 <= args.courses <= len(COUNTRIES):
        parser.error(f"--pages must be between 1 and 50, --courses between 1 and {len(COUNTRIES)}")
    if not 0 <= args.think <= 120 or not 0 <= args.early <= 600 or not 0 <= args.warmup <= 100:
        parser.error("--think must be 0-120 s, --early 0-600 s, --warmup 0-100")
    if not 1 <= args.grade_timeout <= 3600:
        parser.error("--grade-timeout must be between 1 and 3600 s")
    if args.config == "postgres" and not (args.database_url and args.redis_url):
        parser.error("--config postgres needs --database-url and --redis-url (or EMM_TEST_DATABASE_URL and "
                     "EMM_TEST_REDIS_URL; shared servers are fine: the bench makes and drops its own database)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    answer_key = AnswerKey(args.module, "en")
    if len(answer_key.module.pages("en")[0]) < args.pages:
        print(f"--module {args.module} has fewer than {args.pages} pages", file=sys.stderr)
        return 2
    claims_base = json.loads((FIXTURES / "02_id_token_student_resource_link.json").read_text())["claims"]
    print(f"burst bench: {', '.join(map(str, args.participants))} participants, {args.config}, revision {revision()}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    for count in args.participants:
        result = run_size(count, args, answer_key, claims_base)
        results.append(result)
        print()
        print(format_result(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps({
            "revision": revision(), "machine": {"cores": len(os.sched_getaffinity(0)),
                                                "python": pyplatform.python_version(), "platform": pyplatform.platform()},
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                         if k not in ("database_url", "redis_url", "json")} | {"env": [n for n, _ in args.env]},
            "p95_budget_ms": P95_BUDGET_MS, "results": results,
        }, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    broken = [r for r in results if r["errors"] or not r["grades"]["exactly_once"] or r["completed"] != r["participants"]]
    return 1 if broken else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
