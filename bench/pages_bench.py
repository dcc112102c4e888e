"""Learner pages benchmark: page weight of every learner page type, and server time under load.

The driver plays the LMS (its own RSA key, its JWKS served on 127.0.0.1), starts `emm-lti serve`
(gunicorn, the same settings an operator gets) in a fresh temporary instance folder on SQLite (or
on an empty PostgreSQL database given with --database-url), registers itself with
`emm-lti platform add`, launches learners into module m01 over real HTTP,
then measures (with the embedded grade worker off, so the figures are the requests' own cost;
scores are still queued for the LMS inside each submission's transaction):

1. Page weight: bytes of HTML plus every stylesheet and script the page pulls in (each counted
   per page, as a first visit would), for every learner page type: module overview, a content
   page, the quiz, the quiz shown again with an error (400), the result, "no attempts left"
   (409) and the glossary (en, es, fr). Reported for m01 and as the heaviest page of that type
   across all complete modules (for the glossary: across the three languages).
2. Server time under load at a fixed concurrency (default 8), each request kind a phase of its own,
   in the order a learner makes them: the module overview; a reading page (opening it records it as
   the page to resume at: a database write); "Next" at a page's end (POST, the page counted read,
   303); the quiz page opened for the first time (draws the attempt's paper: a write) and again;
   the quiz submission (scoring, the attempt and progress writes, the completion and the grade
   owed to the LMS, then 303); the result page; the glossary (the three languages in turn).
   Server CPU per request is the utime+stime of the gunicorn master and workers over the phase,
   divided by its requests. Latency is measured by the client on loopback (so it includes a little
   HTTP overhead); requests per second is completed requests over wall time.
3. The Flask floor: bench/floor_app.py's minimal Flask app (a 5 KB page from a cached template)
   under the same gunicorn settings, the same concurrency: what any Flask page costs here.

    python bench/pages_bench.py [--page-requests 2000] [--submissions 400] [--concurrency 8]
                                [--workers 2] [--threads 4] [--grade-worker] [--database-url URL]
                                [--no-weights] [--no-floor] [--json FILE]

See docs/performance.md ("Learner pages") for the latest figures.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform as pyplatform
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import servers

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "moodle" / "02_id_token_student_resource_link.json"
CLIENT_ID = "pages-bench"
DEPLOYMENT_ID = "1"
MODULE = "m01"
ASSET = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src|img[^>]*src)="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


# -- the LMS side ---------------------------------------------------------------------------------

class Lms:
    """One RSA key and its JWKS on loopback; signs Moodle-shaped student launches (fixture 02)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": "pages-bench", "alg": "RS256", "use": "sig"})
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(servers.QuietHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = servers.serve_on_loopback(Handler, "lms")
        self.base = f"http://{servers.HOST}:{self._server.server_port}"
        self.issuer = self.base + "/lms"
        self._claims = json.loads(FIXTURE.read_text())["claims"]

    def id_token(self, nonce: str, launch_url: str, learner: int) -> str:
        claims = dict(self._claims)
        now = int(time.time())
        claims.update({
            "iss": self.issuer, "aud": CLIENT_ID, "nonce": nonce, "iat": now, "exp": now + 60,
            "sub": f"bench-{learner}", "name": f"Learner {learner}", "email": f"learner{learner}@example.com",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": launch_url,
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"module": MODULE},
        })
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "pages-bench"})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- the tool -------------------------------------------------------------------------------------

def start_tool(lms: Lms, workdir: Path, workers: int, threads: int, grade_worker: bool,
               database_url: str | None) -> servers.Server:
    tool = servers.Server(name="emm-lti serve", ready_path="/healthz")
    env = servers.clean_env(EMM_INSTANCE_PATH=str(workdir / "instance"), EMM_LOG_LEVEL="WARNING",
                            EMM_EMBEDDED_WORKER="1" if grade_worker else "0")
    if database_url:
        env["EMM_DATABASE_URL"] = database_url
    servers.platform_add(env, workdir, issuer=lms.issuer, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID,
                         auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                         key_set_url=lms.base + "/jwks", name="Bench LMS")
    tool.start(servers.serve_command(tool.port, workers, threads), env, workdir)
    try:
        tool.wait_ready()
    except BaseException:
        tool.stop()
        raise
    return tool


# -- a learner ------------------------------------------------------------------------------------

def keepalive_session() -> requests.Session:
    """A keep-alive session that retries once when gunicorn closed an idle connection (keepalive 5 s)
    just as a request went out; every learner request here is safe to repeat (submissions too:
    the quiz form's idempotency key makes a repeat show the same result)."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0, other=0,
                                                           allowed_methods=None, raise_on_status=False)))
    return session


@dataclass
class Learner:
    base: str   # http://127.0.0.1:port/l/<ref>
    http: requests.Session = field(default_factory=keepalive_session)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=30)

    def post(self, path: str, data: Any) -> requests.Response:
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=30)


def launch(tool: servers.Server, lms: Lms, n: int) -> Learner:
    """OIDC login + id_token launch, as the LMS and a browser do; the learner's pages need no cookie."""
    launch_url = tool.url + "/lti/launch"
    login = requests.post(tool.url + "/lti/login", data={
        "iss": lms.issuer, "login_hint": str(n), "target_link_uri": launch_url, "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID, "lti_message_hint": "{}"}, allow_redirects=False, timeout=30)
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}: {login.text[:300]}")
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    landed = requests.post(launch_url, data={"id_token": lms.id_token(query["nonce"][0], launch_url, n),
                                             "state": query["state"][0]},
                           cookies=dict(login.cookies), allow_redirects=False, timeout=30)
    if landed.status_code != 303:
        raise RuntimeError(f"launch answered {landed.status_code}: {landed.text[:300]}")
    ref = urlsplit(landed.headers["Location"]).path.split("/")[2]
    return Learner(f"{tool.url}/l/{ref}")


def quiz_form(html: str, *, valid: bool = True) -> list[tuple[str, str]]:
    """The hidden fields plus the first choice of every question: what a hurried learner submits."""
    form = re.search(r'<form method="post" action="[^"]*/quiz" class="quiz"[^>]*>(.*?)</form>', html, re.DOTALL).group(1)
    data = [(name, unescape(value)) for name, value in HIDDEN.findall(form)]
    seen: set[str] = set()
    for name, value in re.findall(r'<input type="(?:radio|checkbox)" name="([^"]+)" value="([^"]+)"', form):
        if name not in seen:
            seen.add(name)
            data.append((name, value if valid else "99"))
    for name in re.findall(r'<select id="[^"]+" name="([^"]+)"', form):
        data.append((name, name.rsplit("-", 1)[1]))   # row n gets choice n: a valid order, a valid match
    return data + [("confirm_unanswered", "1")]


# -- page weight ----------------------------------------------------------------------------------

def page_weight(http: requests.Session, url: str, html: str) -> dict[str, int]:
    """HTML + CSS + JS bytes a first visit downloads (uncompressed, and gzip for information)."""
    assets = [urljoin(url, src) for src in ASSET.findall(html)]
    bodies = [html.encode()] + [http.get(a, timeout=30).content for a in assets]
    foreign = [a for a in assets if not a.startswith(url.split("/l/")[0] + "/")]
    return {"bytes": sum(len(b) for b in bodies), "html": len(bodies[0]), "assets": len(assets),
            "gzip": sum(len(gzip.compress(b, 6)) for b in bodies), "foreign": len(foreign)}


def weights(tool: servers.Server, lms: Lms) -> dict[str, Any]:
    learner = launch(tool, lms, 0)
    catalogue = requests.get(tool.url + "/", timeout=30).text
    modules = sorted(set(re.findall(r'<span class="eyebrow">(m\d\d)</span>', catalogue)))
    found: dict[str, dict[str, Any]] = {}

    def record(kind: str, module: str, response: requests.Response, expected: int = 200) -> None:
        if response.status_code != expected:
            raise RuntimeError(f"{kind} of {module}: HTTP {response.status_code}")
        w = page_weight(learner.http, response.url, response.text)
        entry = found.setdefault(kind, {"m01": None, "max": None, "max_module": None})
        if module == MODULE:
            entry["m01"] = w
        if entry["max"] is None or w["bytes"] > entry["max"]["bytes"]:
            entry["max"], entry["max_module"] = w, module

    for module in modules:
        record("module overview", module, learner.get(f"/m/{module}/"))
        pages = re.findall(rf'href="/l/[^"]+/m/{module}/p/([^"#]+)"', learner.get(f"/m/{module}/").text)
        if not pages:
            continue   # an outline: overview only
        for page in dict.fromkeys(pages):
            record("content page", module, learner.get(f"/m/{module}/p/{page}"))
        quiz = learner.get(f"/m/{module}/quiz")
        record("quiz", module, quiz)
        bad = learner.post(f"/m/{module}/quiz", quiz_form(quiz.text, valid=False))
        bad.url = quiz.url
        record("quiz with an error", module, bad, 400)
        done = learner.post(f"/m/{module}/quiz", quiz_form(quiz.text))
        record("result", module, learner.http.get(urljoin(learner.base, done.headers["Location"]), timeout=30))
    for _ in range(2):   # m01 allows three attempts: use them up
        learner.post(f"/m/{MODULE}/quiz", quiz_form(learner.get(f"/m/{MODULE}/quiz").text))
    record("no attempts left", MODULE, learner.get(f"/m/{MODULE}/quiz"), 409)
    for lang in ("en", "es", "fr"):   # one page per language; "heaviest" names the language
        record("glossary", lang, learner.get(f"/glossary/{lang}"))
    return found


# -- load -----------------------------------------------------------------------------------------

def summarize(samples: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    return {"requests": len(samples), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "mean_ms": statistics.fmean(samples) * 1000, "rps": len(samples) / wall}


def run_load(jobs: list[Any], concurrency: int, tool: servers.Server) -> dict[str, float]:
    """Run `jobs` (callables returning nothing; they raise on a wrong answer) `concurrency` at a time."""
    samples: list[float] = []
    lock = threading.Lock()

    def one(job: Any) -> None:
        start = time.perf_counter()
        job()
        elapsed = time.perf_counter() - start
        with lock:
            samples.append(elapsed)

    cpu, busy, driver = tool.cpu_seconds(), servers.machine_busy_seconds(), time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, jobs))
    wall = time.perf_counter() - started
    figures = summarize(samples, wall)
    server = tool.cpu_seconds() - cpu
    figures["server_cpu_ms"] = server / len(samples) * 1000
    # what everything else on the machine used meanwhile, in cores: other engineers' runs slow us down
    others = servers.machine_busy_seconds() - busy - server - (time.process_time() - driver)
    figures["other_load_cores"] = max(0.0, others) / wall
    return figures


def expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: HTTP {response.status_code}")


def load(tool: servers.Server, lms: Lms, page_requests: int, submissions: int, concurrency: int) -> dict[str, Any]:
    """The learner's requests after a launch, each kind timed as its own phase, in the order a learner
    makes them: the overview, reading pages, "Next" at their end, the quiz (first open, then again),
    the submission and the result; then the glossary."""
    with ThreadPoolExecutor(concurrency) as pool:   # setup: one learner per submission (3 attempts each)
        learners = list(pool.map(lambda n: launch(tool, lms, n), range(1, submissions + 1)))
    overview = learners[0].get(f"/m/{MODULE}/").text
    pages = list(dict.fromkeys(re.findall(rf'/m/{MODULE}/p/([^"#]+)"', overview)))
    readers = learners[: max(concurrency * 4, 1)]
    results: dict[str, Any] = {}
    results["module overview (GET)"] = run_load(
        [lambda i=i: expect(readers[i % len(readers)].get(f"/m/{MODULE}/"), 200) for i in range(page_requests)],
        concurrency, tool)
    results["reading page (GET, records the page as opened)"] = run_load(
        [lambda i=i: expect(readers[i % len(readers)].get(f"/m/{MODULE}/p/{pages[(i // len(readers)) % len(pages)]}"), 200)
         for i in range(page_requests)], concurrency, tool)
    # the read form's token is the launch's: take it from any page of the learner
    tokens = dict(zip(map(id, learners), pool_map(concurrency, lambda learner: dict(HIDDEN.findall(
        learner.get(f"/m/{MODULE}/p/{pages[0]}").text))["csrf_token"], learners)))
    reads = [(learner, page) for page in pages for learner in learners][:page_requests]
    results["read (POST, \"Next\" at a page's end, 303)"] = run_load(
        [lambda learner=learner, page=page: expect(learner.post(
            f"/m/{MODULE}/p/{page}/read", {"csrf_token": tokens[id(learner)], "go": "next"}), 303)
         for learner, page in reads], concurrency, tool)
    forms: dict[int, list[tuple[str, str]]] = {}

    def first_open(learner: Learner) -> None:
        page = learner.get(f"/m/{MODULE}/quiz")
        expect(page, 200)
        forms[id(learner)] = quiz_form(page.text)

    results["quiz page (GET, first open: draws the paper)"] = run_load(
        [lambda learner=learner: first_open(learner) for learner in learners], concurrency, tool)
    results["quiz page (GET, the open attempt again)"] = run_load(
        [lambda i=i: expect(readers[i % len(readers)].get(f"/m/{MODULE}/quiz"), 200) for i in range(page_requests)],
        concurrency, tool)
    scored: dict[int, str] = {}

    def submit(learner: Learner) -> None:
        answer = learner.post(f"/m/{MODULE}/quiz", forms[id(learner)])
        expect(answer, 303)
        scored[id(learner)] = urlsplit(answer.headers["Location"]).path.split(f"/m/{MODULE}/", 1)[1]

    results["quiz submission (POST, scored, 303)"] = run_load(
        [lambda learner=learner: submit(learner) for learner in learners], concurrency, tool)
    results["result page (GET)"] = run_load(
        [lambda i=i: expect(learners[i % len(learners)].get(f"/m/{MODULE}/{scored[id(learners[i % len(learners)])]}"), 200)
         for i in range(page_requests)], concurrency, tool)
    results["glossary (GET, entries rendered once per process)"] = run_load(
        [lambda i=i: expect(readers[i % len(readers)].get(f"/glossary/{('en', 'es', 'fr')[i % 3]}"), 200)
         for i in range(page_requests)], concurrency, tool)
    return results


def pool_map(concurrency: int, fn: Any, items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(fn, items))


def flask_floor(workdir: Path, page_requests: int, concurrency: int, workers: int, threads: int) -> dict[str, float]:
    """bench/floor_app.py's minimal Flask app (a 5 KB page from a cached template, nothing else) under the
    same gunicorn settings: what any Flask page costs here before it does any work of its own."""
    floor = servers.Server(name="flask-floor", ready_path="/ready/")
    folder = workdir / "floor"
    folder.mkdir()
    floor.start([sys.executable, str(ROOT / "bench" / "floor_app.py"), "--host", servers.HOST,
                 "--port", str(floor.port), "--workers", str(workers), "--threads", str(threads)],
                servers.clean_env(FLOOR_FLASK="1"), folder)
    try:
        floor.wait_ready()
        http = [keepalive_session() for _ in range(concurrency * 4)]
        for session in http:
            expect(session.get(floor.url + "/done/", timeout=30), 200)
        return run_load([lambda i=i: expect(http[i % len(http)].get(floor.url + "/done/", timeout=30), 200)
                         for i in range(page_requests)], concurrency, floor)
    finally:
        floor.stop()


# -- report ---------------------------------------------------------------------------------------

def report(found: dict[str, Any], timings: dict[str, Any], args: argparse.Namespace) -> str:
    lines = ["| page type | m01: HTML + CSS + JS | heaviest of its type (module) | heaviest, gzip | budget |",
             "| --- | --- | --- | --- | --- |"] if found else []
    for kind, entry in found.items():
        m01 = entry["m01"]
        biggest = entry["max"]
        first = f"{m01['bytes'] / 1024:.1f} KB ({m01['html'] / 1024:.1f} KB HTML)" if m01 else "–"
        lines.append(
            f"| {kind} | {first} | "
            f"{biggest['bytes'] / 1024:.1f} KB ({entry['max_module']}) | {biggest['gzip'] / 1024:.1f} KB | "
            f"{'ok' if biggest['bytes'] < 50 * 1024 and not biggest['foreign'] else 'OVER'} |")
    backend = "PostgreSQL" if args.database_url else "SQLite"
    lines += [""] if found else []
    lines += [f"Concurrency {args.concurrency}, `emm-lti serve --workers {args.workers} --threads {args.threads}`, {backend}:",
              "", "| request | requests | p50 | p95 | p99 | req/s | server CPU per request | other load |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, t in timings.items():
        lines.append(f"| {name} | {t['requests']} | {t['p50_ms']:.1f} ms | {t['p95_ms']:.1f} ms | "
                     f"{t['p99_ms']:.1f} ms | {t['rps']:.0f} | {t['server_cpu_ms']:.2f} ms | "
                     f"{t['other_load_cores']:.2f} cores |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page-requests", type=int, default=2000, help="GETs per page kind under load")
    parser.add_argument("--submissions", type=int, default=400, help="quiz submissions under load (one learner each)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--grade-worker", action="store_true",
                        help="keep the embedded grade worker on (it then retries scores this fake LMS refuses)")
    parser.add_argument("--database-url", help="an EMPTY PostgreSQL database to run on (default: SQLite in a temp folder)")
    parser.add_argument("--no-weights", action="store_true", help="skip the page weights (every page of every module)")
    parser.add_argument("--no-floor", action="store_true", help="skip the Flask floor")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()

    servers.exit_on_sigterm()
    lms = Lms()
    with tempfile.TemporaryDirectory(prefix="emm-pages-bench-") as tmp:
        tool = start_tool(lms, Path(tmp), args.workers, args.threads, args.grade_worker, args.database_url)
        try:
            found = {} if args.no_weights else weights(tool, lms)
            for _ in range(3):   # warm-up: imports, template compilation, connection pools
                launch(tool, lms, 10_000 + _).get(f"/m/{MODULE}/")
            timings = load(tool, lms, args.page_requests, args.submissions, args.concurrency)
        except Exception:
            print(f"the server's log ends with:\n{tool.log_tail()}", file=sys.stderr)
            raise
        finally:
            tool.stop()
            lms.stop()
        if not args.no_floor:
            timings["Flask floor (GET, a 5 KB page, no work)"] = flask_floor(
                Path(tmp), args.page_requests, args.concurrency, args.workers, args.threads)
    print(f"# Learner pages — {pyplatform.python_implementation()} {pyplatform.python_version()}, "
          f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}\n")
    print(report(found, timings, args))
    if args.json:
        args.json.write_text(json.dumps({"weights": found, "timings": timings, "args": vars(args) | {"json": str(args.json)}},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
