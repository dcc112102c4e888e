"""Launch benchmark: a learner's whole launch (login, launch, the page), ours against a pylti1p3 baseline.

A launch ends when the learner sees the module page. The driver plays the LMS and the learner's
browser: it has its own RSA key, serves its JWKS on 127.0.0.1, starts both tools under gunicorn
with the same settings (each in a fresh temporary instance folder and port), and runs complete
launches against each over real HTTP on loopback:

    POST login -> 302 to the LMS auth URL (state and nonce read from Location)
    -> sign a Moodle-shaped id_token for that nonce
    -> POST id_token + state with the state cookie
       ours: 303 -> GET the page it names (following any further redirect) -> 200, the module page
       baseline: 200, its page rendered in the launch response (as pylti1p3's docs show)

The figures are for that whole launch; the parts (login, launch, page) are reported beside it:
their latency from the same launches, their server CPU from extra rounds that stop after the login
and after the launch. Two more servers, the floors (bench/floor_app.py), answer the same requests
(a 302, a 303, a small page) with no LTI work under the same settings: a plain WSGI function (what
any tool pays per launch before it checks anything) and a minimal Flask app (what any Flask tool pays).

    python bench/launch_bench.py [--launches N] [--concurrency 1,4,8,16] [--workers 2] [--threads 4]
                                 [--learners 500] [--warmup 20] [--rounds 3] [--no-parts] [--json FILE]
                                 [--tools ours,baseline,floor,flask-floor] [--no-baseline-key-cache]
                                 [--ours-env EMM_NAME=VALUE] [--keep] [--driver light|requests]
                                 [--connections launch|thread] [--workdir DIR]

See docs/performance.md for what the figures mean and the latest results.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import http.cookiejar
import itertools
import json
import os
import platform as pyplatform
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (
    HOST,
    QuietHandler,
    Server,
    clean_env,
    exit_on_sigterm,
    machine_busy_seconds,
    platform_add,
    revision,
    serve_command,
    serve_on_loopback,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "moodle"
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "1"
#: distinct learners the measured launches cycle through by default (a session start: everyone launches once)
LEARNERS = 500
#: learner numbers of the part rounds and the warm-up start here, so the measured full launches
#: are every learner's first
PART_LEARNERS = 1_000_000
WARMUP_LEARNERS = 2_000_000
#: redirects a launch may take before its page (ours: the 303; the learner home may send on once)
MAX_HOPS = 3


# -- the LMS side ---------------------------------------------------------------------------------

class FakeLms:
    """The driver's platform: one RSA key, its JWKS served on loopback, hits counted per path."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "bench-lms-key"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        body = json.dumps({"keys": [jwk]}).encode()
        self.hits: dict[str, int] = {}
        lock = threading.Lock()
        hits = self.hits

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path.endswith("/jwks"):
                    with lock:
                        hits[self.path] = hits.get(self.path, 0) + 1
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

        self._server = serve_on_loopback(Handler, "jwks")
        self.base = f"http://{HOST}:{self._server.server_port}"
        self.issuer = self.base + "/lms"
        self.auth_login_url = self.base + "/lms/auth"
        self.auth_token_url = self.base + "/lms/token"
        fixture = json.loads((FIXTURES / "02_id_token_student_resource_link.json").read_text())
        self._claims = fixture["claims"]
        login = json.loads((FIXTURES / "01_oidc_login_initiation.json").read_text())
        self._message_hint = login["resource_link_launch"]["params"]["lti_message_hint"]
        self._header_b64 = _b64url(json.dumps({"alg": "RS256", "kid": self.kid, "typ": "JWT"},
                                              separators=(",", ":")).encode())
        self._payload_prefix: dict[tuple[str, int], str] = {}

    def key_set_url(self, tool: str) -> str:
        return f"{self.base}/{tool}/jwks"

    def jwks_hits(self, tool: str) -> int:
        return self.hits.get(urlsplit(self.key_set_url(tool)).path, 0)

    def login_params(self, launch_url: str, learner: int) -> dict[str, str]:
        """The third-party login initiation Moodle posts (fixture 01)."""
        return {
            "iss": self.issuer, "target_link_uri": launch_url, "login_hint": str(learner),
            "lti_message_hint": self._message_hint, "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID,
        }

    def claims(self, nonce: str, launch_url: str, learner: int) -> dict[str, Any]:
        """A Moodle student resource-link launch (fixture 02), re-addressed and for one learner."""
        claims = dict(self._claims)  # only top-level keys change: a shallow copy is enough
        now = int(time.time())
        claims.update({
            "iss": self.issuer, "aud": CLIENT_ID, "nonce": nonce, "iat": now, "exp": now + 60,
            "sub": str(learner), "given_name": "Learner", "family_name": str(learner),
            "name": f"Learner {learner}", "email": f"learner{learner}@example.com",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": launch_url,
        })
        return claims

    def sign(self, claims: dict[str, Any], key: Any = None) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def sign_fast(self, nonce: str, launch_url: str, learner: int) -> str:
        """The same token as `sign(claims(nonce, launch_url, learner))`, cheaper for the driver: the claims
        that do not change are serialized once per tool and learner, and the RSA key signs directly."""
        key = (launch_url, learner)
        prefix = self._payload_prefix.get(key)
        if prefix is None:
            fixed = self.claims("", launch_url, learner)
            for name in ("nonce", "iat", "exp"):
                del fixed[name]
            prefix = self._payload_prefix[key] = json.dumps(fixed, separators=(",", ":"))[:-1]
        now = int(time.time())
        payload = f'{prefix},"nonce":{json.dumps(nonce)},"iat":{now},"exp":{now + 60}}}'
        signing_input = self._header_b64 + b"." + _b64url(payload.encode())
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return (signing_input + b"." + _b64url(signature)).decode("ascii")

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


# -- the tools under test -------------------------------------------------------------------------

@dataclass(kw_only=True)
class Tool(Server):
    """One tool's server and where its login and launch are."""

    launch_path: str
    login_path: str
    success_status: int
    #: text the learner's page must contain (checked on the validation launch)
    page_marker: str
    #: extra login parameters (the baseline's cookie-check skip)
    login_extra: dict[str, str] = field(default_factory=dict)

    @property
    def page_in_launch(self) -> bool:
        """The launch response is the page itself (the baseline), not a redirect to it."""
        return self.success_status == 200

    @property
    def launch_url(self) -> str:
        return self.url + self.launch_path


def start_ours(lms: FakeLms, workdir: Path, workers: int, threads: int, extra_env: dict[str, str]) -> Tool:
    tool = Tool(name="ours", launch_path="/lti/launch", login_path="/lti/login",
                ready_path="/.well-known/jwks.json", success_status=303,
                page_marker="The Global Context of Migration")
    folder = workdir / "ours"
    folder.mkdir()
    env = clean_env(EMM_INSTANCE_PATH=str(folder / "instance"), EMM_LOG_LEVEL="WARNING", **extra_env)
    platform_add(env, folder, issuer=lms.issuer, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID,
                 auth_login_url=lms.auth_login_url, auth_token_url=lms.auth_token_url,
                 key_set_url=lms.key_set_url("ours"), name="Benchmark LMS")
    tool.start(serve_command(tool.port, workers, threads), env, folder)
    return tool


def write_baseline_config(lms: FakeLms, folder: Path) -> Path:
    """The baseline's pylti1p3 JSON tool config and its own key pair, in `folder`; returns the config path."""
    tool_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "private.key").write_bytes(tool_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "public.key").write_bytes(tool_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    config = {lms.issuer: [{
        "default": True, "client_id": CLIENT_ID, "auth_login_url": lms.auth_login_url,
        "auth_token_url": lms.auth_token_url, "auth_audience": None, "key_set_url": lms.key_set_url("baseline"),
        "key_set": None, "private_key_file": "private.key", "public_key_file": "public.key",
        "deployment_ids": [DEPLOYMENT_ID],
    }]}
    path = folder / "tool.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def start_baseline(lms: FakeLms, workdir: Path, workers: int, threads: int, key_cache: bool) -> Tool:
    # lti1p3_new_window=1 is what the browser sends on its second login request, after
    # pylti1p3's cookie-check page (enable_check_cookies) found cookies working; sending it at
    # once skips that page, as our tool skips its own check outside an iframe
    tool = Tool(name="baseline", launch_path="/launch/", login_path="/login/", ready_path="/jwks/",
                success_status=200, page_marker="launch ok", login_extra={"lti1p3_new_window": "1"})
    folder = workdir / "baseline"
    folder.mkdir()
    env = clean_env(
        EMM_LOG_LEVEL="WARNING", BASELINE_LTI_CONFIG=str(write_baseline_config(lms, folder)),
        BASELINE_CACHE_DIR=str(folder / "cache"), BASELINE_KEY_CACHE="1" if key_cache else "0",
    )
    tool.start([sys.executable, str(ROOT / "bench" / "baseline_tool.py"), "--host", HOST, "--port", str(tool.port),
                "--workers", str(workers), "--threads", str(threads)], env, folder)
    return tool


def start_floor(lms: FakeLms, workdir: Path, workers: int, threads: int, flask: bool = False) -> Tool:
    """bench/floor_app.py: the launch's requests answered with no LTI work, under the same gunicorn settings
    (`flask`: by a minimal Flask app, the floor of any Flask tool)."""
    name = "flask-floor" if flask else "floor"
    tool = Tool(name=name, launch_path="/launch/", login_path="/login/", ready_path="/ready/", success_status=303,
                page_marker="floor page")
    folder = workdir / name
    folder.mkdir()
    env = clean_env(FLOOR_AUTH_URL=lms.auth_login_url, FLOOR_FLASK="1" if flask else "0")
    tool.start([sys.executable, str(ROOT / "bench" / "floor_app.py"), "--host", HOST, "--port", str(tool.port),
                "--workers", str(workers), "--threads", str(threads)], env, folder)
    return tool


# -- one launch -----------------------------------------------------------------------------------

class _NoCookieStore(http.cookiejar.DefaultCookiePolicy):
    """Each launch is a fresh browser tab: state cookies are passed by hand, never kept."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


@dataclass
class Reply:
    status: int
    location: str
    #: "name=value" of every Set-Cookie, in order
    cookies: list[str]
    body: bytes = b""


class RequestsClient:
    """The original driver: a `requests.Session` with keep-alive and claims signed by PyJWT (~6 ms CPU/launch)."""

    name = "requests"
    errors: tuple[type[BaseException], ...] = (requests.RequestException,)

    def __init__(self, tool: Tool):
        self._base = tool.url
        self._session = requests.Session()
        self._session.cookies.set_policy(_NoCookieStore())

    def open(self, path: str) -> None:
        self._session.get(self._base + path, timeout=10)

    def post_form(self, path: str, form: dict[str, str], cookies: list[str]) -> Reply:
        jar = dict(c.split("=", 1) for c in cookies)
        response = self._session.post(self._base + path, data=form, cookies=jar, allow_redirects=False, timeout=10)
        return Reply(response.status_code, response.headers.get("Location", ""),
                     [f"{k}={v}" for k, v in response.cookies.items()], response.content)

    def get(self, path: str) -> Reply:
        response = self._session.get(self._base + path, allow_redirects=False, timeout=10)
        return Reply(response.status_code, response.headers.get("Location", ""), [], response.content)

    def sign(self, lms: "FakeLms", tool: Tool, nonce: str, learner: int) -> str:
        return lms.sign(lms.claims(nonce, tool.launch_url, learner))

    def fresh(self) -> None:
        """Drop the keep-alive connection: the next request opens a new one."""
        self._session.close()

    def close(self) -> None:
        self._session.close()


class LightClient:
    """The default driver: one `http.client` keep-alive connection, claims pre-serialized per learner and
    signed with the `cryptography` key directly (same RS256 token, ~1.5 ms CPU/launch, mostly the RSA sign)."""

    name = "light"
    errors: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)

    def __init__(self, tool: Tool):
        self._conn = http.client.HTTPConnection(HOST, tool.port, timeout=10)
        self._login_path = tool.login_path

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str],
                 repeatable: bool = True) -> http.client.HTTPResponse:
        try:
            self._conn.request(method, path, body, headers)
            return self._conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # the server closed an idle keep-alive connection: reconnect once, as a browser would,
            # but never resend a launch, whose state the server may already have taken
            self._conn.close()
            if not repeatable:
                raise
            self._conn.request(method, path, body, headers)
            return self._conn.getresponse()

    def open(self, path: str) -> None:
        self._request("GET", path, None, {}).read()

    def post_form(self, path: str, form: dict[str, str], cookies: list[str]) -> Reply:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        response = self._request("POST", path, urlencode(form).encode("ascii"), headers,
                                 repeatable=path == self._login_path)
        body = response.read()  # the whole body, so the connection can be reused
        return Reply(response.status, response.getheader("Location", ""),
                     [c.split(";", 1)[0].strip() for c in response.msg.get_all("Set-Cookie") or ()], body)

    def get(self, path: str) -> Reply:
        response = self._request("GET", path, None, {})
        body = response.read()
        return Reply(response.status, response.getheader("Location", ""), [], body)

    def sign(self, lms: "FakeLms", tool: Tool, nonce: str, learner: int) -> str:
        return lms.sign_fast(nonce, tool.launch_url, learner)

    def fresh(self) -> None:
        """Drop the keep-alive connection: the next request opens a new one."""
        self._conn.close()

    def close(self) -> None:
        self._conn.close()


DRIVERS: dict[str, type] = {"light": LightClient, "requests": RequestsClient}


#: how far one launch goes: the login only, login and launch, or to the learner's page (the whole launch)
STOPS = ("login", "launch", "page")


@dataclass
class Outcome:
    ok: bool
    seconds: float = 0.0
    sign_seconds: float = 0.0
    error: str = ""
    #: client round trips of the parts: login, launch (signing excluded), page (every request after the launch)
    login_seconds: float = 0.0
    launch_seconds: float = 0.0
    page_seconds: float = 0.0
    #: HTTP requests the launch took
    requests: int = 0
    page: bytes = b""


def _tool_path(tool: Tool, location: str) -> str | None:
    """The path of a redirect inside the tool (relative, or absolute on the tool's origin); None elsewhere."""
    if location.startswith("/"):
        return location
    if location.startswith(tool.url + "/"):
        return location[len(tool.url):]
    return None


def one_launch(client: Any, tool: Tool, lms: FakeLms, learner: int,
               tamper: Callable[[dict[str, Any]], None] | None = None, sign_key: Any = None,
               send_cookie: bool = True, stop: str = "page") -> Outcome:
    """Login + launch + page like a browser between the LMS and the tool; `tamper` etc. forge it for checks."""
    start = time.perf_counter()
    login = client.post_form(tool.login_path, {**lms.login_params(tool.launch_url, learner), **tool.login_extra}, [])
    logged_in = time.perf_counter()
    if login.status != 302:
        return Outcome(False, error=f"login answered {login.status}")
    location = login.location
    query = parse_qs(urlsplit(location).query)
    if not location.startswith(lms.auth_login_url) or "state" not in query or "nonce" not in query:
        return Outcome(False, error=f"login redirected to {location[:80]!r}")
    state, nonce = query["state"][0], query["nonce"][0]
    if query.get("redirect_uri", [""])[0] != tool.launch_url:
        return Outcome(False, error="login redirect_uri is not the launch URL")
    if stop == "login":
        return Outcome(True, logged_in - start, login_seconds=logged_in - start, requests=1)
    cookies = login.cookies if send_cookie else []
    signing = time.perf_counter()
    if tamper is None and sign_key is None:
        token = client.sign(lms, tool, nonce, learner)
    else:  # a forged launch for the validation checks: the general (slower) path
        claims = lms.claims(nonce, tool.launch_url, learner)
        if tamper is not None:
            tamper(claims)
        token = lms.sign(claims, sign_key)
    signed = time.perf_counter()
    launch = client.post_form(tool.launch_path, {"id_token": token, "state": state}, cookies)
    launched = time.perf_counter()
    parts = {"sign_seconds": signed - signing, "login_seconds": logged_in - start,
             "launch_seconds": launched - signed}
    if launch.status != tool.success_status:
        return Outcome(False, launched - start, error=f"launch answered {launch.status}", **parts)
    if stop == "launch" or tool.page_in_launch:
        return Outcome(True, launched - start, requests=2, page=launch.body, **parts)
    reply, requests_made = launch, 2
    for _hop in range(MAX_HOPS):
        path = _tool_path(tool, reply.location)
        if path is None:
            return Outcome(False, error=f"redirected off the tool to {reply.location[:80]!r}", **parts)
        reply = client.get(path)
        requests_made += 1
        if reply.status not in (301, 302, 303, 307):
            break
    done = time.perf_counter()
    if reply.status != 200:
        return Outcome(False, done - start, error=f"the page answered {reply.status}", **parts)
    return Outcome(True, done - start, page_seconds=done - launched, requests=requests_made, page=reply.body,
                   **parts)


def validation_checks(tool: Tool, lms: FakeLms, driver: str = "light") -> dict[str, bool]:
    """True where the tool behaves: the good launch passes and each forged one is refused."""
    session = DRIVERS[driver](tool)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = one_launch(session, tool, lms, WARMUP_LEARNERS - 1)
    results = {
        "good launch accepted, the page shown": good.ok and tool.page_marker.encode() in good.page,
        "signature by another key (same kid) refused": not one_launch(session, tool, lms, 1, sign_key=other_key).ok,
        "nonce not issued by the tool refused": not one_launch(
            session, tool, lms, 1, tamper=lambda c: c.update(nonce="n-not-issued")).ok,
        "launch without the state cookie refused": not one_launch(session, tool, lms, 1, send_cookie=False).ok,
        "deployment not registered refused": not one_launch(session, tool, lms, 1, tamper=lambda c: c.update(
            {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "not-registered"})).ok,
    }
    session.close()
    return results


# -- a measured run -------------------------------------------------------------------------------

def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * pct // 100)))
    return sorted_values[int(rank) - 1]


class Learners:
    """Learner numbers for one tool: the measured launches cycle through `count` learners from 1, so the
    first `count` are first launches; part rounds and the warm-up draw from their own ranges."""

    def __init__(self, count: int):
        self._count = count
        self._full = itertools.count()
        self._parts = itertools.count(PART_LEARNERS)
        self._warmup = itertools.count(WARMUP_LEARNERS)

    def full(self) -> int:
        return next(self._full) % self._count + 1

    def part(self) -> int:
        return next(self._parts)

    def warmup(self) -> int:
        return next(self._warmup)


@dataclass
class Round:
    """The raw outcome of one measured round: launches of one tool at one concurrency."""

    outcomes: list[Outcome]
    elapsed: float
    server_cpu: float
    driver_cpu: float
    other_cpu: float
    jwks_fetches: int


def run_round(tool: Tool, lms: FakeLms, launches: int, concurrency: int, timeout: float,
              learner: Callable[[], int], driver: str = "light", connections: str = "launch",
              stop: str = "page") -> Round:
    """`launches` launches spread over `concurrency` threads, each going as far as `stop`.

    connections="launch": each launch opens its own connection, which its login and launch share
    (a browser tab of another learner). "thread": each thread keeps one connection for all its
    launches; gunicorn then serves all of a thread's launches from the worker that accepted it,
    and one worker often accepts all of them (seen: 8 connections on one of 2 workers, the other
    idle), which caps the server at one core.
    """
    counter = itertools.count()
    outcomes: list[list[Outcome]] = [[] for _ in range(concurrency)]
    clients = [DRIVERS[driver](tool) for _ in range(concurrency)]
    per_launch = connections == "launch"
    if not per_launch:
        for client in clients:  # open each keep-alive connection before the clock starts
            client.open(tool.ready_path)
    barrier = threading.Barrier(concurrency + 1, timeout=30)
    deadline_box: list[float] = []
    errors = DRIVERS[driver].errors

    def worker(index: int) -> None:
        barrier.wait()
        deadline = deadline_box[0]
        for _ in range(launches):  # bounded in count; the shared counter splits the work
            if next(counter) >= launches or time.monotonic() > deadline:
                break
            if per_launch:
                clients[index].fresh()
            try:
                outcome = one_launch(clients[index], tool, lms, learner(), stop=stop)
            except errors as exc:
                outcome = Outcome(False, error=f"{type(exc).__name__}: {exc}"[:200])
            outcomes[index].append(outcome)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    jwks_before = lms.jwks_hits(tool.name)
    driver_before = time.process_time()
    machine_before = machine_busy_seconds()
    cpu_before = tool.cpu_seconds()
    deadline_box.append(time.monotonic() + timeout)
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join(timeout=max(0.1, deadline_box[0] + 15 - time.monotonic()))
    elapsed = time.perf_counter() - started
    cpu = tool.cpu_seconds() - cpu_before
    driver_cpu = time.process_time() - driver_before
    other_cpu = machine_busy_seconds() - machine_before - cpu - driver_cpu
    for client in clients:
        client.close()
    return Round([o for per_thread in outcomes for o in per_thread], elapsed, cpu, driver_cpu,
                 max(0.0, other_cpu), lms.jwks_hits(tool.name) - jwks_before)


def summarize(tool: str, concurrency: int, rounds: list[Round]) -> dict[str, Any]:
    """One table row from a tool's rounds at one concurrency level."""
    flat = [o for r in rounds for o in r.outcomes]
    good = [o for o in flat if o.ok]
    latencies = sorted(o.seconds * 1000 for o in good)
    signing = sorted(o.sign_seconds * 1000 for o in good)
    errors = [o.error for o in flat if not o.ok]
    done = len(flat)
    elapsed = sum(r.elapsed for r in rounds)

    def part_ms(name: str, pct: float) -> float:
        return round(percentile(sorted(getattr(o, name) * 1000 for o in good), pct), 1)

    return {
        "tool": tool, "concurrency": concurrency, "rounds": len(rounds), "launches": len(good),
        "errors": len(errors), "error_samples": sorted(set(errors))[:5], "seconds": round(elapsed, 3),
        "launches_per_s": round(len(good) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "login_p50_ms": part_ms("login_seconds", 50), "launch_p50_ms": part_ms("launch_seconds", 50),
        "page_p50_ms": part_ms("page_seconds", 50), "login_p95_ms": part_ms("login_seconds", 95),
        "launch_p95_ms": part_ms("launch_seconds", 95), "page_p95_ms": part_ms("page_seconds", 95),
        "requests_per_launch": round(sum(o.requests for o in good) / len(good), 2) if good else None,
        "sign_mean_ms": round(sum(signing) / len(signing), 2) if signing else None,
        "sign_p95_ms": round(percentile(signing, 95), 2),
        "server_cpu_ms_per_launch": round(sum(r.server_cpu for r in rounds) * 1000 / done, 2) if done else None,
        "driver_cpu_ms_per_launch": round(sum(r.driver_cpu for r in rounds) * 1000 / done, 2) if done else None,
        "jwks_fetches": sum(r.jwks_fetches for r in rounds),
        #: CPU used meanwhile by everything else on the machine, in % of all its CPUs
        "other_cpu_pct": round(sum(r.other_cpu for r in rounds) * 100 / (elapsed * len(os.sched_getaffinity(0))), 1)
        if elapsed > 0 else None,
    }


def file_create_cost(folder: Path, files: int = 300) -> float:
    """CPU microseconds to create, write and close one small file in `folder` (then removed).

    The baseline's cache creates files on every login and launch (two per cache write), our tool
    none; on some VMs this costs the kernel 10-50x what it costs on others, so it is printed with
    the results."""
    probe = Path(tempfile.mkdtemp(prefix="fs-probe-", dir=folder))
    try:
        before = time.process_time()
        for i in range(files):
            fd = os.open(probe / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, b"x" * 512)
            os.close(fd)
        return round((time.process_time() - before) * 1e6 / files, 1)
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def idle_cpu(tool: Tool, seconds: float = 3.0) -> float:
    """Server CPU milliseconds per second with no request at all (timers, background threads)."""
    before = tool.cpu_seconds()
    time.sleep(seconds)
    return round((tool.cpu_seconds() - before) * 1000 / seconds, 1)


def warm_up(tool: Tool, lms: FakeLms, learners: Learners, launches: int, driver: str = "light",
            connections: str = "launch") -> int:
    """Launches outside the figures: first imports, template compiles, key-set fetch, connection pools."""
    if launches <= 0:
        return 0
    result = run_round(tool, lms, launches, concurrency=min(4, launches), timeout=120, learner=learners.warmup,
                       driver=driver, connections=connections)
    return sum(1 for o in result.outcomes if not o.ok)


# -- output ---------------------------------------------------------------------------------------

COLUMNS = (
    ("tool", "tool", "{}"), ("conc", "concurrency", "{}"), ("launches", "launches", "{}"),
    ("errors", "errors", "{}"), ("launch/s", "launches_per_s", "{:.1f}"), ("p50 ms", "p50_ms", "{:.1f}"),
    ("p95 ms", "p95_ms", "{:.1f}"), ("p99 ms", "p99_ms", "{:.1f}"),
    ("server CPU ms/launch", "server_cpu_ms_per_launch", "{:.2f}"),
    ("req/launch", "requests_per_launch", "{:.1f}"),
    ("sign ms", "sign_mean_ms", "{:.2f}"), ("driver CPU ms/launch", "driver_cpu_ms_per_launch", "{:.2f}"),
    ("JWKS fetches", "jwks_fetches", "{}"), ("other load %", "other_cpu_pct", "{:.1f}"),
)

#: the parts of a launch: client latency from the whole launches, server CPU from the part rounds
PART_COLUMNS = (
    ("tool", "tool", "{}"), ("conc", "concurrency", "{}"),
    ("login p50/p95 ms", ("login_p50_ms", "login_p95_ms"), "{:.1f} / {:.1f}"),
    ("launch p50/p95 ms", ("launch_p50_ms", "launch_p95_ms"), "{:.1f} / {:.1f}"),
    ("page p50/p95 ms", ("page_p50_ms", "page_p95_ms"), "{:.1f} / {:.1f}"),
    ("login CPU ms", "login_cpu_ms", "{:.2f}"), ("launch CPU ms", "launch_cpu_ms", "{:.2f}"),
    ("page CPU ms", "page_cpu_ms", "{:.2f}"),
)


def format_table(rows: list[dict[str, Any]], columns: tuple = COLUMNS) -> str:
    cells = [[title for title, _, _ in columns]]
    for row in rows:
        line = []
        for _, key, fmt in columns:
            values = [row.get(k) for k in key] if isinstance(key, tuple) else [row.get(key)]
            line.append(fmt.format(*values) if all(v is not None for v in values) else "-")
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def add_part_cpu(row: dict[str, Any], tool: Tool, parts: dict[str, list[Round]]) -> None:
    """Server CPU of the login, the launch and the page, from the rounds that stop after each part.

    Differences of separate rounds: on a shared machine a part can come out a little negative or
    a little large; the full launch's own figure is measured directly."""
    def per_launch(rounds: list[Round]) -> float | None:
        done = sum(len(r.outcomes) for r in rounds)
        return sum(r.server_cpu for r in rounds) * 1000 / done if done else None

    login = per_launch(parts.get("login", []))
    to_launch = row["server_cpu_ms_per_launch"] if tool.page_in_launch else per_launch(parts.get("launch", []))
    full = row["server_cpu_ms_per_launch"]
    row["login_cpu_ms"] = round(login, 2) if login is not None else None
    row["launch_cpu_ms"] = round(to_launch - login, 2) if login is not None and to_launch is not None else None
    row["page_cpu_ms"] = (0.0 if tool.page_in_launch else
                          round(full - to_launch, 2) if full is not None and to_launch is not None else None)


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {(r["tool"], r["concurrency"]): r for r in rows}
    out = []
    for (name, conc), ours in sorted(by.items(), key=lambda kv: kv[0][1]):
        base = by.get(("baseline", conc))
        if name != "ours" or base is None:
            continue
        row = {
            "concurrency": conc,
            "throughput_ours_over_baseline": round(ours["launches_per_s"] / base["launches_per_s"], 2)
            if base["launches_per_s"] else None,
            "cpu_per_launch_ours_over_baseline": round(
                ours["server_cpu_ms_per_launch"] / base["server_cpu_ms_per_launch"], 2)
            if ours["server_cpu_ms_per_launch"] and base["server_cpu_ms_per_launch"] else None,
        }
        for floor_name, key in (("floor", "cpu_above_floor_ours_over_baseline"),
                                ("flask-floor", "cpu_above_flask_floor_ours_over_baseline")):
            floor = by.get((floor_name, conc))
            if floor is not None and floor["server_cpu_ms_per_launch"] is not None:
                above_ours = ours["server_cpu_ms_per_launch"] - floor["server_cpu_ms_per_launch"]
                above_base = base["server_cpu_ms_per_launch"] - floor["server_cpu_ms_per_launch"]
                row[key] = round(above_ours / above_base, 2) if above_base > 0 else None
        out.append(row)
    return out


def verdicts(rows: list[dict[str, Any]], rat: list[dict[str, Any]]) -> list[str]:
    """The two launch budgets: whole-launch server CPU against the baseline, and p95 at 8 in flight."""
    lines = []
    cpu = [r["cpu_per_launch_ours_over_baseline"] for r in rat if r["cpu_per_launch_ours_over_baseline"]]
    if cpu:
        worst = max(cpu)
        lines.append(f"full launch server CPU, ours/baseline, worst level {worst:.2f} (budget <= 0.50): "
                     + ("MET" if worst <= 0.5 else "MISSED"))
    at8 = [r for r in rows if r["tool"] == "ours" and r["concurrency"] == 8]
    if at8:
        p95 = at8[0]["p95_ms"]
        lines.append(f"ours full launch p95 at concurrency 8: {p95:.1f} ms (budget < 50 ms): "
                     + ("MET" if p95 < 50 else "MISSED"))
    return lines


# -- main -----------------------------------------------------------------------------------------

def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--concurrency must be numbers separated by commas, got {text!r}") from None
    if not levels or any(not 1 <= c <= 64 for c in levels):
        raise argparse.ArgumentTypeError("--concurrency levels must be between 1 and 64")
    return levels


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("EMM_"):
        raise argparse.ArgumentTypeError(f"--ours-env takes EMM_NAME=VALUE, got {text!r}")
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300, help="measured launches per concurrency level and tool")
    parser.add_argument("--concurrency", type=_levels, default=[1, 4, 8, 16], help="comma-separated levels")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for both tools")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker, for both tools")
    parser.add_argument("--learners", type=int, default=LEARNERS,
                        help="distinct learners the measured launches cycle through (the first launches of each "
                             "are first visits; a session start of 500 learners by default)")
    parser.add_argument("--no-parts", dest="parts", action="store_false",
                        help="skip the rounds that stop after the login and after the launch (the parts' server CPU)")
    parser.add_argument("--warmup", type=int, default=20, help="launches per tool before measuring, not counted")
    parser.add_argument("--rounds", type=int, default=3,
                        help="split each level into this many rounds, alternating the tools")
    parser.add_argument("--level-timeout", type=float, default=120.0, help="seconds allowed per level and tool")
    parser.add_argument("--tools", default="ours,baseline,floor,flask-floor",
                        help="which servers to run, comma-separated: ours, baseline, floor, flask-floor "
                             "(bench/floor_app.py: the launch's requests with no LTI work, as a plain WSGI function "
                             "or a minimal Flask app, to read both tools' CPU above them)")
    parser.add_argument("--no-baseline-key-cache", dest="baseline_key_cache", action="store_false",
                        help="baseline fetches the LMS key set on every launch, as pylti1p3's example does")
    parser.add_argument("--ours-env", action="append", type=_env_pair, default=[], metavar="EMM_NAME=VALUE",
                        help="extra setting for our tool, e.g. EMM_DATABASE_URL=postgresql://... (repeatable; "
                             "the database must be empty)")
    parser.add_argument("--driver", choices=sorted(DRIVERS), default="light",
                        help="the load driver, the same for both tools: light (http.client, claims serialized once, "
                             "the default) or requests (requests.Session and PyJWT, the original driver)")
    parser.add_argument("--connections", choices=("launch", "thread"), default="launch",
                        help="launch: a new connection per launch, shared by its login and launch (the default); "
                             "thread: one keep-alive connection per driver thread for all its launches")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent folder of both tools' temporary folders (their databases, state stores and "
                             "caches); default: the system's temporary folder. Both tools always share one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folders (logs)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.launches <= 100_000:
        parser.error("--launches must be between 1 and 100000")
    if not (1 <= args.workers <= 64 and 1 <= args.threads <= 64):
        parser.error("--workers and --threads must be between 1 and 64, as for emm-lti serve")
    if not 0 <= args.warmup <= 10_000:
        parser.error("--warmup must be between 0 and 10000")
    if not 1 <= args.learners <= PART_LEARNERS - 1:
        parser.error(f"--learners must be between 1 and {PART_LEARNERS - 1}")
    if not 1 <= args.rounds <= min(args.launches, 100):
        parser.error("--rounds must be between 1 and min(--launches, 100)")
    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    if not names or set(names) - {"ours", "baseline", "floor", "flask-floor"}:
        parser.error("--tools takes ours, baseline, floor and flask-floor, separated by commas")

    exit_on_sigterm()
    workdir = Path(tempfile.mkdtemp(prefix="emm-launch-bench-", dir=args.workdir))
    lms: FakeLms | None = None
    tools: list[Tool] = []
    try:
        lms = FakeLms()
        for name in names:
            if name == "ours":
                tools.append(start_ours(lms, workdir, args.workers, args.threads, dict(args.ours_env)))
            elif name == "baseline":
                tools.append(start_baseline(lms, workdir, args.workers, args.threads, args.baseline_key_cache))
            else:
                tools.append(start_floor(lms, workdir, args.workers, args.threads, flask=name == "flask-floor"))
        for tool in tools:
            tool.wait_ready()
            print(f"{tool.name}: pid {tool.proc.pid} on {tool.url}", flush=True)

        checks: dict[str, dict[str, bool]] = {}
        for tool in tools:
            if tool.name in ("floor", "flask-floor"):  # it accepts anything by design: it is not a tool
                continue
            checks[tool.name] = validation_checks(tool, lms, args.driver)
            for what, passed in checks[tool.name].items():
                print(f"  check {tool.name}: {what}: {'yes' if passed else 'NO'}", flush=True)
        failed = [f"{t}: {w}" for t, c in checks.items() for w, ok in c.items() if not ok]
        if failed:
            print("validation checks failed, not benchmarking:\n  " + "\n  ".join(failed), file=sys.stderr)
            for tool in tools:
                print(f"--- {tool.name} log ---\n{tool.log_tail()}", file=sys.stderr)
            return 1

        learners = {tool.name: Learners(args.learners) for tool in tools}
        for tool in tools:
            errors = warm_up(tool, lms, learners[tool.name], args.warmup, args.driver, args.connections)
            print(f"{tool.name}: {args.warmup} warm-up launches, {errors} errors", flush=True)
        idle = {tool.name: idle_cpu(tool) for tool in tools}
        fs_cost = file_create_cost(workdir)
        print(f"file creation in {workdir.parent}: {fs_cost} us of CPU per file", flush=True)
        print("idle server CPU, ms per second: " + ", ".join(f"{n} {v}" for n, v in idle.items()), flush=True)

        rows = []
        for conc in args.concurrency:
            # alternate the tools in short rounds, so that drift and other load on the machine
            # fall on all alike; the rounds of one tool and level make one row
            rounds: dict[str, list[Round]] = {tool.name: [] for tool in tools}
            parts: dict[str, dict[str, list[Round]]] = {tool.name: {"login": [], "launch": []} for tool in tools}
            shares = [args.launches // args.rounds + (1 if i < args.launches % args.rounds else 0)
                      for i in range(args.rounds)]
            timeout = args.level_timeout / args.rounds
            for share in shares:
                for tool in tools:
                    if share:
                        rounds[tool.name].append(run_round(tool, lms, share, conc, timeout, learners[tool.name].full,
                                                           args.driver, args.connections))
            if args.parts:
                for share in shares:
                    for tool in tools:
                        for stop in ("login", "launch"):
                            if share and not (stop == "launch" and tool.page_in_launch):
                                parts[tool.name][stop].append(run_round(
                                    tool, lms, share, conc, timeout, learners[tool.name].part, args.driver,
                                    args.connections, stop=stop))
            for tool in tools:
                row = summarize(tool.name, conc, rounds[tool.name])
                if args.parts:
                    add_part_cpu(row, tool, parts[tool.name])
                    row["part_errors"] = sum(1 for r in parts[tool.name].values() for x in r
                                             for o in x.outcomes if not o.ok)
                rows.append(row)
                print(f"  {tool.name:8} c={conc:<3} {row['launches_per_s']:7.1f} launches/s  "
                      f"p95 {row['p95_ms']:6.1f} ms  CPU {row['server_cpu_ms_per_launch']} ms/launch  "
                      f"errors {row['errors']}  other load {row['other_cpu_pct']}%", flush=True)
                for sample in row["error_samples"]:
                    print(f"    error: {sample}", flush=True)

        rat = ratios(rows)
        print()
        import lti_tool

        print(f"revision: {revision()}; lti_tool imported from {Path(lti_tool.__file__).parent}")
        print(f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), Python "
              f"{pyplatform.python_version()}, gunicorn gthread {args.workers} workers x {args.threads} threads; "
              f"driver ({args.driver}, a connection per {args.connections}) and servers share the machine; "
              f"temporary folders in {workdir.parent} ({fs_cost} us CPU per file created)")
        print(f"{args.launches} measured launches per tool and level in {args.rounds} alternating rounds, cycling "
              f"through {args.learners} learners, after {args.warmup} warm-up launches; latency is the client "
              "round trip of login + signing + launch + the page (the baseline's page is its launch response)")
        print()
        print(format_table(rows))
        if args.parts:
            print()
            print("the parts (latency from the launches above; server CPU from rounds stopping after login and launch)")
            print(format_table(rows, PART_COLUMNS))
        if rat:
            print()
            print("ours / baseline")
            for r in rat:
                above = "".join(f", above the {label} x{r[key]}" for label, key in (
                    ("floor", "cpu_above_floor_ours_over_baseline"),
                    ("Flask floor", "cpu_above_flask_floor_ours_over_baseline")) if key in r)
                print(f"  concurrency {r['concurrency']:>2}: throughput x{r['throughput_ours_over_baseline']}, "
                      f"server CPU per launch x{r['cpu_per_launch_ours_over_baseline']}{above}")
            print()
            for line in verdicts(rows, rat):
                print(line)
        if args.json:
            args.json.write_text(json.dumps({
                "machine": {"nproc": len(os.sched_getaffinity(0)), "python": pyplatform.python_version(),
                            "platform": pyplatform.platform()},
                "revision": revision(),
                "settings": {"launches": args.launches, "rounds": args.rounds, "warmup": args.warmup, "concurrency": args.concurrency,
                             "ours_env": [name for name, _ in args.ours_env], "parts": args.parts,
                             "workers": args.workers, "threads": args.threads, "learners": args.learners,
                             "baseline_key_cache": args.baseline_key_cache, "driver": args.driver,
                             "connections": args.connections,
                             "workdir": str(workdir.parent)},
                "file_create_us": fs_cost,
                "checks": checks, "idle_cpu_ms_per_s": idle, "results": rows, "ratios": rat, "verdicts": verdicts(rows, rat) if rat else [],
            }, indent=2) + "\n")
            print(f"\nwrote {args.json}")
        return 0 if all(r["errors"] == 0 and not r.get("part_errors") for r in rows) else 1
    finally:
        for tool in tools:
            tool.stop()
        if lms is not None:
            lms.stop()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # servers were already stopped by main's finally
        print("interrupted", file=sys.stderr)
        sys.exit(130)
