"""Grade delivery benchmark: 1000 completions delivered to a local AGS endpoint.

docs/design.md section 7: "quiz submit to score in the gradebook: p95 under 5 s while the LMS is up" and
"AGS access tokens reused until expiry: at most one token request per platform and scope set per
token lifetime".

Set-up (not timed):
- The tool (create_app, embedded worker off) is served on 127.0.0.1 by werkzeug's threaded server,
  on SQLite in a fresh temporary folder, or on a scratch database created on the PostgreSQL server
  of --database-url (dropped on exit).
- The demo LMS (lti_tool.demo_lms, a real AGS platform) runs in its own child process on
  127.0.0.1, so it has its own interpreter lock as a real LMS would. It is registered with the
  tool as `emm-lti demo` does (lti_tool.demo_run.connect_demo_lms, split across the two processes).
  The benchmark wraps the demo LMS's gradebook dict so that every stored score is time-stamped at
  the moment it is stored (lti_tool/ is not modified).
- ceil(N/3) placements are added to the demo course (`add_placement`, each with its own 100-point
  grade column) and each of the demo's 3 learners launches each placement once through the real
  OIDC flow over HTTP (login -> LMS auth -> form post -> 303), so the tool has real Placement,
  Participant and Enrolment rows and the launch's line item URL. With --launch one-per-placement,
  only one learner (in turn) launches each placement; that creates the same rows, because
  participants and enrolments are per course, not per placement.

Scenarios: for each worker count (--workers 1,4) the LMS healthy, then with 20 % of score posts
failing. Each starts from a cold token cache (this process's memory and the shared access_token
table emptied) and has two phases of N completions each, one per (placement, learner), written by
`queue_score` exactly as a quiz submission's transaction writes them:
1. Backlog: N scores owed while no worker runs (committed 100 at a time), then the workers start.
   Time to drain = workers start -> last row marked delivered; scores/s = N / drain. "Stored at"
   p50/p95/max = workers start -> the demo LMS stored the score (this is the capacity figure, as
   after an LMS outage; it is not a submit-to-gradebook latency).
2. Stream: N more submissions, one transaction each, at --rate per second (default 50) while the
   same workers keep running. Submit-to-gradebook p50/p95/max = commit of the score row -> the
   demo LMS stored it. This is the figure the budget speaks of.
Workers: `GradeWorker(app)` with its defaults (batch 20, lease 120 s, 1 s idle poll, the retry
policy of the settings), each running `run(stop, idle)` in a thread, as start_embedded_worker does:
"1 threads" is the embedded default, "4 threads" four of them sharing the queue through the
database. --worker-mode processes runs `emm-lti worker` processes instead (the production setup;
their backlog is held back until they are all polling, so that phase includes up to one idle poll).
Figures per phase: token requests and score posts (demo LMS counters; posts include retries),
HTTP 500s injected, 409s, the most posts one score needed, CPU per score of the workers and of the
demo LMS process, and checks: N rows delivered and none failed or pending, the gradebook holds N
scores in the benchmark's columns, each (column, learner) stored exactly once in the phase and
holding this phase's score (its timestamp). Token requests must be 1 per scenario (2 x N scores).

The failure runs set the demo switch score_fail_percent=20: every fifth score post answers 500
without storing the score (an even, deterministic spread; --failure-pattern random makes each post
fail independently with that probability, patched in the demo LMS process only). They use a fast
retry policy, RetryPolicy(base=--retry-base 0.05 s, cap=--retry-cap 1.0 s), instead of the
production default (2 s doubling up to an hour); so does the healthy run, where it is never used.

    python bench/grades_bench.py [--completions 1000] [--workers 1,4] [--fail-percent 20] [--rate 50]
                                 [--worker-mode threads|processes] [--failure-pattern even|random]
                                 [--token-lifetime 3600] [--launch every|one-per-placement]
                                 [--database-url postgresql://USER@127.0.0.1:PORT/postgres]
                                 [--timeout 90] [--json FILE]

The exit status is 1 when any check fails (a score lost, stored twice, failed or still pending, or
more than one token request in a scenario).

Every socket is on 127.0.0.1; every loop is bounded in count and time; the demo LMS process, the
workers, the servers, the scratch database and the temporary folder are removed on exit, Ctrl-C
or SIGTERM.
See docs/performance.md ("Grade delivery") for the latest figures.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import platform as pyplatform
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LEARNERS = ("4", "5", "6")  # the demo course's learners (AG, GD, VC)
MODULE, MODULE_TITLE = "m04", "Gender and Migration"
QUIET = ("werkzeug", "lti_tool", "urllib3")


def quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the demo LMS, in its own process ------------------------------------------------------------------


class TimedScores(dict):
    """The demo LMS's gradebook dict, noting when each score is stored (the store happens under its lock)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, str, float]] = []

    def __setitem__(self, key: tuple[str, str], value: Any) -> None:
        super().__setitem__(key, value)
        self.log.append((key[0], key[1], time.time()))


def lms_process(conn: Any, tool_url: str, state_dir: str, token_lifetime: int, failure_pattern: str) -> None:
    """Serve the demo LMS on 127.0.0.1 and answer the parent's requests over `conn` until told to stop."""
    quiet_logs()
    if failure_pattern == "random":
        # In this process only: each score post fails with probability score_fail_percent/100, independently,
        # instead of the demo's even spread (every fifth post at 20 %). lti_tool/ itself is not changed.
        import random

        from lti_tool.demo_lms import services

        rng = random.Random(20)

        def _random_fail(lms: Any) -> bool:
            with lms.state.lock:
                return rng.random() * 100 < lms.state.switches.score_fail_percent

        services._should_fail = _random_fail
    from werkzeug.serving import make_server

    from lti_tool.demo_lms import DemoLmsConfig, create_demo_lms

    server = make_server(HOST, 0, lambda env, start: holder["app"](env, start), threaded=True)
    holder: dict[str, Any] = {}
    url = f"http://{HOST}:{server.server_port}"
    app = holder["app"] = create_demo_lms(DemoLmsConfig(base_url=url, tool_base_url=tool_url, state_dir=Path(state_dir),
                                                       token_lifetime=token_lifetime))
    lms = app.extensions["demo_lms"]
    with lms.state.lock:
        lms.state.scores = TimedScores(lms.state.scores)
    threading.Thread(target=server.serve_forever, name="demo-lms", daemon=True).start()
    conn.send(("ready", url, lms.registration_values(), os.getpid()))

    def handle(command: str, *args: Any) -> Any:
        if command == "add_placements":
            count, module = args
            placements = [lms.add_placement(module, f"Benchmark placement {i:04d}") for i in range(1, count + 1)]
            return [(p.id, p.line_item_id) for p in placements]
        if command == "login_urls":
            return [lms.login_url(sub, pid, platform_storage=False) for sub, pid in args[0]]
        if command == "set_switches":
            return asdict(lms.set_switches(**args[0]))
        if command == "stats":
            return lms.stats
        if command == "store_log":  # and start a new one
            with lms.state.lock:
                entries, lms.state.scores.log = lms.state.scores.log, []
            return entries
        if command == "gradebook":
            with lms.state.lock:
                return {key: record.received.get("timestamp") for key, record in lms.state.scores.items()}
        raise ValueError(f"unknown command {command!r}")

    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the parent is gone
                break
            if message[0] == "stop":
                break
            try:
                conn.send(("ok", handle(*message)))
            except Exception as exc:  # noqa: BLE001 - report it to the parent, keep serving
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        server.shutdown()


class LmsChild:
    """The parent's handle on the demo LMS process."""

    def __init__(self, tool_url: str, state_dir: Path, token_lifetime: int, failure_pattern: str):
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._lock = threading.Lock()
        self.proc = ctx.Process(target=lms_process, name="demo-lms", daemon=True,
                                args=(child_conn, tool_url, str(state_dir), token_lifetime, failure_pattern))
        self.proc.start()
        child_conn.close()
        if not self._conn.poll(60):
            raise RuntimeError("the demo LMS process did not start within 60 s")
        _, self.url, self.registration, self.pid = self._conn.recv()

    def call(self, *message: Any, timeout: float = 60) -> Any:
        with self._lock:
            self._conn.send(message)
            if not self._conn.poll(timeout):
                raise RuntimeError(f"the demo LMS did not answer {message[0]!r} within {timeout} s")
            status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"demo LMS: {value}")
        return value

    def stop(self) -> None:
        try:
            with self._lock:
                self._conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)


# -- PostgreSQL scratch database ----------------------------------------------------------------------


def create_scratch_database(base_url: str) -> str:
    """A fresh database on the server of base_url; returns its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if base_url.startswith("postgresql://") else base_url)
    if url.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit("--database-url must point at a PostgreSQL server on 127.0.0.1")
    name = f"emm_grades_bench_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_scratch_database(db_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


# -- launches ----------------------------------------------------------------------------------------------

FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def launch(http: Any, login_url: str) -> None:
    """What a browser without JavaScript does in the LMS frame (tests/e2e_support.browse_launch),
    stopping at the tool's 303 to the learner page: the launch's rows are written by then."""
    http.cookies.clear()
    login = http.get(login_url, allow_redirects=False, timeout=10)
    if login.status_code != 302:
        raise RuntimeError(f"login initiation answered {login.status_code}: {login.text[:200]}")
    auth = http.get(login.headers["Location"], timeout=10)
    if auth.status_code != 200:
        raise RuntimeError(f"LMS auth answered {auth.status_code}: {auth.text[:200]}")
    action = unescape(FORM_ACTION.search(auth.text).group(1))
    fields = {k: unescape(v) for k, v in HIDDEN.findall(auth.text)}
    cookies = {c.name: c.value for c in http.cookies}  # the state cookie is Secure: send it by hand over http
    launched = http.post(action, data=fields, cookies=cookies, allow_redirects=False, timeout=10)
    if launched.status_code != 303:
        raise RuntimeError(f"launch answered {launched.status_code}: {launched.text[:300]}")


def launch_all(lms: LmsChild, pairs: list[tuple[str, str]], threads: int, deadline: float) -> None:
    import requests

    urls = lms.call("login_urls", pairs)
    local = threading.local()

    def one(url: str) -> None:
        if time.monotonic() > deadline:
            raise RuntimeError("launch phase ran out of time (--setup-timeout)")
        if not hasattr(local, "http"):
            local.http = requests.Session()
        launch(local.http, url)

    # each learner's first launch alone, so the parallel ones only update their rows
    firsts = {}
    for (sub, _), url in zip(pairs, urls):
        firsts.setdefault(sub, url)
    for url in firsts.values():
        one(url)
    rest = [u for u in urls if u not in set(firsts.values())]
    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(one, rest):
            pass


# -- workers -----------------------------------------------------------------------------------------------


STARTED_WORKERS: list[Workers] = []


class Workers:
    """N grade workers: threads in this process (GradeWorker(app).run, as start_embedded_worker does)
    or `emm-lti worker` processes on the same database (--worker-mode processes)."""

    def __init__(self, app: Any, count: int, mode: str, idle: float, env: dict[str, str]):
        self.mode = mode
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._procs: list[Any] = []
        STARTED_WORKERS.append(self)  # main() stops every one on exit, even if this constructor is interrupted
        if mode == "threads":
            from lti_tool.grades.worker import GradeWorker

            for i in range(count):
                worker = GradeWorker(app, name=f"bench-worker-{i + 1}")  # its defaults, as start_embedded_worker
                thread = threading.Thread(target=worker.run, args=(self._stop, idle),
                                          name=f"emm-grade-worker-{i + 1}", daemon=True)
                thread.start()
                self._threads.append(thread)
            time.sleep(0.2)  # each has looked at the empty queue and is in its idle wait
            return
        exe = Path(sys.executable).parent / "emm-lti"
        for _ in range(count):
            self._procs.append(subprocess.Popen([str(exe), "worker", "--idle", str(idle)], env=env,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                start_new_session=True))
        # ready when each has logged "grade worker … started" (bounded)
        deadline = time.monotonic() + 60
        for proc in self._procs:
            while time.monotonic() < deadline:
                line = proc.stderr.readline()
                if not line or b"grade worker" in line and b"started" in line:
                    break
            threading.Thread(target=self._drain_stderr, args=(proc,), daemon=True).start()
        if time.monotonic() >= deadline:
            self.problems.append("worker processes did not report ready within 60 s")
        time.sleep(0.2)

    @staticmethod
    def _drain_stderr(proc: Any) -> None:
        for _ in iter(proc.stderr.readline, b""):
            pass

    def cpu_seconds(self) -> float:
        """CPU of whatever runs the workers: this process (threads), or the worker processes."""
        if self.mode == "threads":
            return proc_cpu_seconds(os.getpid())
        return sum(proc_cpu_seconds(p.pid) for p in self._procs if p.poll() is None)

    def stop(self) -> None:
        """Stop and reap every worker (idempotent)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(20)
        if any(t.is_alive() for t in self._threads):
            self.problems.append("a worker thread did not stop within 20 s")
        for proc in self._procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
                self.problems.append("a worker process did not stop on SIGTERM within 20 s")
        self._procs = []


# -- one scenario ------------------------------------------------------------------------------------------


@dataclass
class Target:
    placement_id: int
    participant_id: int
    line_item: str  # the demo LMS's line item id
    sub: str
    country: str | None


@dataclass
class Phase:
    """One batch of N completions through the workers."""

    kind: str  # "backlog": owed while the workers were stopped, then drained; "stream": arriving at a rate
    completions: int
    submit_s: float = 0.0
    arrival_per_s: float = 0.0
    drain_s: float = 0.0
    scores_per_s: float = 0.0
    token_requests: int = 0
    score_posts: int = 0
    injected_500s: int = 0
    conflicts_409: int = 0
    tries_total: int = 0
    #: deliveries by the number of posts they took
    tries_histogram: dict[int, int] = field(default_factory=dict)
    #: /proc/loadavg (1 min) at the end of the phase: other load on the shared machine
    loadavg_1m: float = 0.0
    #: stream: from the commit of the score row; backlog: from the start of the workers
    latency_p50_s: float = 0.0
    latency_p95_s: float = 0.0
    latency_max_s: float = 0.0
    worker_cpu_ms_per_score: float = 0.0
    lms_cpu_ms_per_score: float = 0.0
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    gradebook_scores: int = 0
    stored_exactly_once: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    database: str
    workers: int
    worker_mode: str
    lms: str
    token_requests: int = 0
    token_rows: int = 0
    token_requests_recorded: int = 0
    phases: list[Phase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def owe_scores(app: Any, targets: list[Target], round_no: int, *, rate: float | None,
               batch: int = 100) -> tuple[list[int], dict, dict, float, float]:
    """queue_score for every target. rate=None: as a backlog, committed 100 at a time; otherwise one
    transaction each (as a quiz submission writes it), at `rate` per second (0 = as fast as possible)."""
    from lti_tool.courses.models import Participant, Placement
    from lti_tool.extensions import db
    from lti_tool.grades.services import ScoreReport, queue_score

    committed: dict[tuple[str, str], float] = {}
    stamps: dict[tuple[str, str], str] = {}
    ids: list[int] = []
    waiting: list[tuple[str, str]] = []
    started = time.time()
    with app.app_context():
        for i, target in enumerate(targets):
            if rate:
                due = started + i / rate
                while (wait := due - time.time()) > 0:
                    time.sleep(min(wait, 0.5))
            points = (i + round_no) % 11
            delivery = queue_score(
                db.session.get(Placement, target.placement_id), db.session.get(Participant, target.participant_id),
                ScoreReport(MODULE, MODULE_TITLE, points, 10, completed=True, passed=points >= 7,
                            country=target.country))
            key = (target.line_item, target.sub)
            stamps[key] = delivery.score["timestamp"]
            ids.append(delivery.id)
            waiting.append(key)
            if rate is not None or len(waiting) >= batch or i == len(targets) - 1:
                db.session.commit()
                now = time.time()
                for k in waiting:
                    committed[k] = now
                waiting.clear()
        db.session.remove()
    return ids, committed, stamps, started, time.time() - started


def _in_range(column: Any, ids: list[int]) -> Any:
    """The phase's rows: its ids are consecutive (one producer), and a range is cheaper to poll than 1000 binds."""
    assert ids == list(range(ids[0], ids[0] + len(ids))), "the phase's delivery ids are not consecutive"
    return column.between(ids[0], ids[-1])


def wait_drained(app: Any, ids: list[int], timeout: float) -> int:
    """Poll until no row of `ids` is pending (bounded); returns how many still are."""
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.grades.models import DeliveryStatus, GradeDelivery

    deadline = time.monotonic() + timeout
    pending = len(ids)
    while time.monotonic() < deadline:
        with app.app_context():
            pending = db.session.scalar(select(func.count()).select_from(GradeDelivery).where(
                _in_range(GradeDelivery.id, ids), GradeDelivery.status == DeliveryStatus.PENDING))
            db.session.remove()
        if pending == 0:
            return 0
        time.sleep(0.1)
    return pending


def set_due(app: Any, ids: list[int], *, hold: bool) -> None:
    """Make owed rows due now, or hold them back a day (without touching anything else)."""
    from datetime import timedelta

    from sqlalchemy import update

    from lti_tool.extensions import db
    from lti_tool.grades.models import GradeDelivery
    from lti_tool.models_base import utcnow

    with app.app_context():
        db.session.execute(update(GradeDelivery).where(_in_range(GradeDelivery.id, ids))
                           .values(next_attempt_at=utcnow() + timedelta(days=1 if hold else 0)))
        db.session.commit()
        db.session.remove()


def run_phase(app: Any, lms: LmsChild, targets: list[Target], *, kind: str, round_no: int, rate: float,
              timeout: float, workers: Workers | None, start_workers: Any, mode: str) -> tuple[Phase, Workers]:
    """One batch: 'backlog' owes all N with no worker running, then starts the workers and times the
    drain; 'stream' owes them at `rate` per second while the (running) workers deliver."""
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.grades.models import DeliveryStatus, GradeDelivery

    phase = Phase(kind=kind, completions=len(targets))
    lms.call("store_log")  # start a fresh log
    stats_before = lms.call("stats")
    if kind == "backlog":
        ids, committed, stamps, _, phase.submit_s = owe_scores(app, targets, round_no, rate=None)
        if mode == "threads":  # threads start at once: the clock starts with them
            cpu_lms_before = proc_cpu_seconds(lms.pid)
            t_ref = time.time()
            workers = start_workers()
            cpu_before = workers.cpu_seconds()
        else:  # processes take seconds to start: hold the backlog back until they are all polling
            set_due(app, ids, hold=True)
            workers = start_workers()
            time.sleep(1.2)  # each has found nothing due and is in its idle wait
            cpu_lms_before = proc_cpu_seconds(lms.pid)
            cpu_before = workers.cpu_seconds()
            t_ref = time.time()
            set_due(app, ids, hold=False)  # the drain then includes up to one idle poll (--idle)
    else:
        cpu_lms_before = proc_cpu_seconds(lms.pid)
        cpu_before = workers.cpu_seconds()
        ids, committed, stamps, t_ref, phase.submit_s = owe_scores(app, targets, round_no, rate=rate)
        phase.arrival_per_s = round(len(targets) / phase.submit_s, 1)
    pending = wait_drained(app, ids, timeout)
    if pending:
        phase.problems.append(f"{pending} scores still pending after {timeout:.0f} s")
    cpu_workers = workers.cpu_seconds() - cpu_before
    cpu_lms = proc_cpu_seconds(lms.pid) - cpu_lms_before
    stats = lms.call("stats")
    store_log = lms.call("store_log")
    gradebook = lms.call("gradebook")

    with app.app_context():
        rows = db.session.execute(select(GradeDelivery.status, func.count(), func.sum(GradeDelivery.tries),
                                         func.max(GradeDelivery.delivered_at))
                                  .where(_in_range(GradeDelivery.id, ids)).group_by(GradeDelivery.status)).all()
        histogram = db.session.execute(select(GradeDelivery.tries, func.count()).where(_in_range(GradeDelivery.id, ids))
                                       .group_by(GradeDelivery.tries)).all()
        db.session.remove()
    phase.tries_histogram = {int(tries): n for tries, n in sorted(histogram)}
    phase.loadavg_1m = float(Path("/proc/loadavg").read_text().split()[0])
    by_status = {status: (count, tries or 0, last) for status, count, tries, last in rows}
    phase.delivered = by_status.get(DeliveryStatus.DELIVERED, (0, 0, None))[0]
    phase.pending = by_status.get(DeliveryStatus.PENDING, (0, 0, None))[0]
    phase.failed = by_status.get(DeliveryStatus.FAILED, (0, 0, None))[0]
    phase.tries_total = sum(v[1] for v in by_status.values())
    last = by_status.get(DeliveryStatus.DELIVERED, (0, 0, None))[2]
    if last is not None:
        phase.drain_s = round(last.replace(tzinfo=last.tzinfo or UTC).timestamp() - t_ref, 2)
        phase.scores_per_s = round(phase.delivered / phase.drain_s, 1) if phase.drain_s > 0 else 0.0

    def delta(name: str) -> int:
        return stats.get(name, 0) - stats_before.get(name, 0)

    phase.token_requests = delta("token_requests")
    phase.score_posts = delta("score_posts")
    phase.injected_500s = delta("score_failures")
    phase.conflicts_409 = delta("score_conflicts")
    if delta("score_rejections"):
        phase.problems.append(f"{delta('score_rejections')} scores rejected by the LMS")
    if phase.failed:
        phase.problems.append(f"{phase.failed} deliveries failed for good")
    phase.worker_cpu_ms_per_score = round(cpu_workers * 1000 / len(targets), 2)
    phase.lms_cpu_ms_per_score = round(cpu_lms * 1000 / len(targets), 2)

    # the gradebook: each (column, learner) stored exactly once in this phase, holding this phase's score
    stored = Counter((item, user) for item, user, _ in store_log)
    phase.stored_exactly_once = set(stored) == set(committed) and all(n == 1 for n in stored.values())
    if not phase.stored_exactly_once:
        extra = [k for k, n in stored.items() if n > 1 or k not in committed]
        missing = [k for k in committed if k not in stored]
        phase.problems.append(f"stores: {len(missing)} missing, {len(extra)} stored twice or unexpected")
    columns = {t.line_item for t in targets}
    ours = {k: v for k, v in gradebook.items() if k[0] in columns}
    phase.gradebook_scores = sum(1 for k, v in ours.items() if stamps.get(k) == v)
    if len(ours) != len(targets) or phase.gradebook_scores != len(targets):
        phase.problems.append(f"gradebook: {len(ours)} scores in the benchmark's columns, "
                              f"{phase.gradebook_scores} of them this phase's")
    origin = (lambda key: t_ref) if kind == "backlog" else (lambda key: committed[key])
    latencies = sorted(t - origin((item, user)) for item, user, t in store_log if (item, user) in committed)
    if latencies:
        phase.latency_p50_s = round(percentile(latencies, 50), 3)
        phase.latency_p95_s = round(percentile(latencies, 95), 3)
        phase.latency_max_s = round(latencies[-1], 3)
    phase.submit_s = round(phase.submit_s, 2)
    return phase, workers


def run_scenario(app: Any, lms: LmsChild, targets: list[Target], *, database: str, workers: int, mode: str,
                 fail_percent: int, rate: float, idle: float, timeout: float, round_no: int,
                 env: dict[str, str]) -> Scenario:
    """A backlog of N drained, then N more arriving at `rate`; the token cache starts cold and the
    same workers (and tokens) serve both phases."""
    from sqlalchemy import delete, select

    from lti_tool.extensions import db
    from lti_tool.lms import tokens
    from lti_tool.grades.models import AccessToken

    scenario = Scenario(database=database, workers=workers, worker_mode=mode,
                        lms="healthy" if not fail_percent else f"{fail_percent}% of score posts fail")
    tokens.reset_memory()
    with app.app_context():
        db.session.execute(delete(AccessToken))
        db.session.commit()
        db.session.remove()
    lms.call("set_switches", {"score_fail_percent": fail_percent})
    running: Workers | None = None
    try:
        backlog, running = run_phase(app, lms, targets, kind="backlog", round_no=round_no, rate=rate,
                                     timeout=timeout, workers=None, mode=mode,
                                     start_workers=lambda: Workers(app, workers, mode, idle, env))
        scenario.phases.append(backlog)
        time.sleep(1.1)  # this phase's timestamps are then newer than the last, to the second, without a bump
        if rate > 0:
            stream, _ = run_phase(app, lms, targets, kind="stream", round_no=round_no + 100, rate=rate,
                                  timeout=timeout, workers=running, start_workers=None, mode=mode)
            scenario.phases.append(stream)
    finally:
        if running is not None:
            running.stop()
            scenario.problems += running.problems
        lms.call("set_switches", {"score_fail_percent": 0})
    with app.app_context():
        token_rows = db.session.execute(select(AccessToken.scope_key, AccessToken.requests_made)).all()
        db.session.remove()
    scenario.token_requests = sum(p.token_requests for p in scenario.phases)
    scenario.token_rows = len(token_rows)
    scenario.token_requests_recorded = sum(n or 0 for _, n in token_rows)
    if scenario.token_requests != 1 or scenario.token_rows != 1:
        scenario.problems.append(f"{scenario.token_requests} token requests, {scenario.token_rows} token rows "
                                 "(expected 1 and 1)")
    for phase in scenario.phases:
        scenario.problems += [f"{phase.kind}: {p}" for p in phase.problems]
    return scenario


# -- main ----------------------------------------------------------------------------------------------------


def build_targets(app: Any, lms: LmsChild, placements: list[tuple[str, str]], count: int) -> list[Target]:
    from sqlalchemy import select

    from lti_tool.courses.models import Course, Enrolment, Participant, Placement
    from lti_tool.extensions import db
    from lti_tool.platforms.models import Platform

    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == lms.url))
        profiles = {(e.course_id, e.participant_id): e.profile_country for e in db.session.scalars(select(Enrolment))}
        rows = {p.resource_link_id: p for p in db.session.scalars(
            select(Placement).join(Course, Course.id == Placement.course_id).where(Course.platform_id == platform_id))}
        people = {p.sub: p for p in db.session.scalars(select(Participant).where(Participant.platform_id == platform_id))}
        targets = []
        for lms_id, item in placements:
            placement = rows.get(lms_id)
            if placement is None or not placement.lineitem_url or not placement.lineitem_url.split("?")[0].endswith(
                    f"/lineitems/{item}/lineitem"):
                raise RuntimeError(f"placement {lms_id}: no row or no line item {item} from its launch")
            for sub in LEARNERS:
                person = people[sub]
                targets.append(Target(placement.id, person.id, item, sub,
                                      profiles.get((placement.course_id, person.id))))
        db.session.remove()
    return targets[:count]


def machine() -> dict[str, Any]:
    import sqlite3
    from importlib.metadata import version

    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": pyplatform.release(),
            "python": pyplatform.python_version(), "sqlite": sqlite3.sqlite_version,
            "flask": version("flask"), "sqlalchemy": version("sqlalchemy"), "requests": version("requests"),
            "loadavg_before": Path("/proc/loadavg").read_text().split()[:3]}


def print_tables(scenarios: list[Scenario], rate: float) -> None:
    head = ("db", "workers", "LMS", "N", "drain s", "scores/s", "token requests", "score posts", "500s", "409s",
            "stored at p50/p95/max s", "most posts for one score", "worker CPU ms/score", "LMS CPU ms/score",
            "delivered", "in gradebook, once", "load 1m")
    print("Backlog: N scores owed with no worker running, then the workers start (drain = start -> last delivered)")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for s in scenarios:
        p = s.phases[0]
        print("| " + " | ".join(str(v) for v in (
            s.database, f"{s.workers} {s.worker_mode}", s.lms, p.completions, p.drain_s, p.scores_per_s,
            p.token_requests, p.score_posts, p.injected_500s, p.conflicts_409,
            f"{p.latency_p50_s} / {p.latency_p95_s} / {p.latency_max_s}", max(p.tries_histogram, default=0),
            p.worker_cpu_ms_per_score, p.lms_cpu_ms_per_score, p.delivered,
            f"{p.gradebook_scores}, {'yes' if p.stored_exactly_once else 'NO'}", p.loadavg_1m)) + " |")
    if rate <= 0:
        return
    head = ("db", "workers", "LMS", "N", "arrival /s", "submit-to-gradebook p50 s", "p95 s", "max s",
            "token requests", "score posts", "500s", "409s", "most posts for one score", "delivered",
            "in gradebook, once", "load 1m")
    print()
    print(f"Stream: N more submissions at {rate:g}/s while the same workers run (latency = commit -> stored)")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for s in scenarios:
        if len(s.phases) < 2:
            continue
        p = s.phases[1]
        print("| " + " | ".join(str(v) for v in (
            s.database, f"{s.workers} {s.worker_mode}", s.lms, p.completions, p.arrival_per_s, p.latency_p50_s,
            p.latency_p95_s, p.latency_max_s, p.token_requests, p.score_posts, p.injected_500s, p.conflicts_409,
            max(p.tries_histogram, default=0), p.delivered,
            f"{p.gradebook_scores}, {'yes' if p.stored_exactly_once else 'NO'}", p.loadavg_1m)) + " |")


def verdicts(scenarios: list[Scenario]) -> list[str]:
    lines = []
    healthy = [s.phases[1] for s in scenarios if s.lms == "healthy" and len(s.phases) > 1]
    if healthy:
        worst = max(p.latency_p95_s for p in healthy)
        lines.append(f"p95 submit-to-gradebook with the LMS up (stream): worst {worst:.2f} s over {len(healthy)} "
                     f"run(s) (budget < 5 s) -> {'OK' if worst < 5 else 'OVER BUDGET'}")
    tokens_ok = all(s.token_requests == 1 and s.token_rows == 1 for s in scenarios)
    per_run = sorted({sum(p.completions for p in s.phases) for s in scenarios})
    lines.append(f"token requests per run (cold cache, one platform, one scope set, {'/'.join(map(str, per_run))} scores): "
                 + ", ".join(str(s.token_requests) for s in scenarios) + " (budget 1) -> "
                 + ("OK" if tokens_ok else "OVER BUDGET"))
    phases = [p for s in scenarios for p in s.phases]
    lost = [p for p in phases if p.delivered != p.completions or not p.stored_exactly_once
            or p.gradebook_scores != p.completions]
    lines.append("every score delivered and stored exactly once: " + ("OK" if not lost else f"NO in {len(lost)} phase(s)"))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--completions", type=int, default=1000)
    parser.add_argument("--workers", default="1,4", help="worker counts to run, comma-separated")
    parser.add_argument("--worker-mode", choices=("threads", "processes"), default="threads",
                        help="threads in this process (default), or `emm-lti worker` processes")
    parser.add_argument("--fail-percent", type=int, default=20, help="share of failing score posts in the failure run")
    parser.add_argument("--failure-pattern", choices=("even", "random"), default="even",
                        help="even: the demo switch as it is (every fifth post at 20 %%); random: each post "
                             "fails independently with that probability (patched in the demo LMS process)")
    parser.add_argument("--retry-base", type=float, default=0.05, help="RetryPolicy base (s) for the runs")
    parser.add_argument("--retry-cap", type=float, default=1.0, help="RetryPolicy cap (s) for the runs")
    parser.add_argument("--idle", type=float, default=1.0, help="worker poll interval when idle (embedded default 1 s)")
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second in the stream phase (0: skip it)")
    parser.add_argument("--token-lifetime", type=int, default=3600,
                        help="expires_in of the demo LMS's access tokens (Moodle: 3600 s)")
    parser.add_argument("--launch", choices=("every", "one-per-placement"), default="every")
    parser.add_argument("--launch-threads", type=int, default=3)
    parser.add_argument("--setup-timeout", type=float, default=150.0)
    parser.add_argument("--timeout", type=float, default=90.0, help="longest wait for one phase to drain (s)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server on 127.0.0.1 (a scratch database is created there and dropped)")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args()
    if not 1 <= args.completions <= 20_000:
        parser.error("--completions must be between 1 and 20000")
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if not worker_counts or any(not 1 <= w <= 32 for w in worker_counts):
        parser.error("--workers: counts between 1 and 32")
    if not 0 <= args.fail_percent <= 100:
        parser.error("--fail-percent must be between 0 and 100")
    if not 0 <= args.rate <= 1000:
        parser.error("--rate must be between 0 and 1000")

    quiet_logs()

    def _terminate(*_: Any) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _terminate)

    from werkzeug.serving import make_server

    from lti_tool.app import create_app
    from lti_tool.cli import init_database
    from lti_tool.config import Settings
    from lti_tool.extensions import db
    from lti_tool.platforms.services import PlatformSpec, register_platform

    info = machine()
    tmp = tempfile.TemporaryDirectory(prefix="emm-grades-bench-")
    scratch_url = None
    tool_server = lms = app = None
    scenarios: list[Scenario] = []
    try:
        database_url = None
        if args.database_url:
            scratch_url = database_url = create_scratch_database(args.database_url)
        settings = Settings.from_env(
            env={}, instance_path=str(Path(tmp.name) / "instance"), database_url=database_url,
            secret_key=secrets.token_hex(16), embedded_worker=False, log_level="WARNING",
            grade_retry_base=args.retry_base, grade_retry_cap=args.retry_cap)
        # what `emm-lti worker` processes get (--worker-mode processes): the same instance and database
        env = {k: v for k, v in os.environ.items() if not k.startswith("EMM_")}
        env.update(EMM_INSTANCE_PATH=str(settings.instance_path), EMM_DATABASE_URL=settings.database_url,
                   EMM_SECRET_KEY=settings.secret_key, EMM_EMBEDDED_WORKER="0", EMM_LOG_LEVEL="INFO",
                   EMM_GRADE_RETRY_BASE=str(args.retry_base), EMM_GRADE_RETRY_CAP=str(args.retry_cap))
        database = "PostgreSQL" if settings.database_url.startswith("postgresql") else "SQLite"
        app = create_app(settings)
        quiet_logs()
        init_database(app)
        if database == "PostgreSQL":
            with app.app_context():
                info["postgresql"] = db.session.execute(db.text("SHOW server_version")).scalar()
                db.session.remove()

        t0 = time.monotonic()
        tool_server = make_server(HOST, 0, app, threaded=True)
        tool_url = f"http://{HOST}:{tool_server.server_port}"
        lms = LmsChild(tool_url, Path(tmp.name) / "demo-lms", args.token_lifetime, args.failure_pattern)
        threading.Thread(target=tool_server.serve_forever, name="tool", daemon=True).start()
        with app.app_context():  # connect_demo_lms, the tool's half
            register_platform(PlatformSpec.build(**lms.registration))
            db.session.commit()
            db.session.remove()  # register_platform refreshed the platform directory (and the CSP)

        n_placements = math.ceil(args.completions / len(LEARNERS))
        placements = lms.call("add_placements", n_placements, MODULE)
        if args.launch == "every":
            pairs = [(sub, pid) for sub in LEARNERS for pid, _ in placements]
        else:
            pairs = [(LEARNERS[i % len(LEARNERS)], pid) for i, (pid, _) in enumerate(placements)]
            pairs += [(sub, placements[0][0]) for sub in LEARNERS if (sub, placements[0][0]) not in pairs]
        launch_all(lms, pairs, args.launch_threads, time.monotonic() + args.setup_timeout)
        targets = build_targets(app, lms, placements, args.completions)
        setup_s = time.monotonic() - t0
        print(f"set-up: {database}, {len(placements)} placements, {len(pairs)} launches through the demo LMS "
              f"in {setup_s:.1f} s; {len(targets)} (placement, learner) targets", flush=True)
        info["launches"] = len(pairs)
        info["setup_s"] = round(setup_s, 1)

        round_no = 0
        for workers in worker_counts:
            for fail in (0, args.fail_percent) if args.fail_percent else (0,):
                round_no += 1
                s = run_scenario(app, lms, targets, database=database, workers=workers, mode=args.worker_mode,
                                 fail_percent=fail, rate=args.rate, idle=args.idle, timeout=args.timeout,
                                 round_no=round_no, env=env)
                scenarios.append(s)
                b = s.phases[0]
                line = (f"{database}, {workers} worker {args.worker_mode}, LMS {s.lms}: backlog of {b.delivered} "
                        f"drained in {b.drain_s} s ({b.scores_per_s}/s, {b.score_posts} posts)")
                if len(s.phases) > 1:
                    st = s.phases[1]
                    line += (f"; stream at {st.arrival_per_s}/s: p50 {st.latency_p50_s} s, p95 {st.latency_p95_s} s, "
                             f"max {st.latency_max_s} s ({st.score_posts} posts)")
                line += f"; {s.token_requests} token request(s)"
                if s.problems:
                    line += " PROBLEMS: " + "; ".join(s.problems)
                print(line, flush=True)
                time.sleep(1.1)  # the next run's timestamps are then newer than the last, to the second
        print()
        print_tables(scenarios, args.rate)
        print()
        for line in verdicts(scenarios):
            print(line)
        info["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
        if args.json:
            Path(args.json).write_text(json.dumps({"machine": info, "args": vars(args),
                                                   "scenarios": [asdict(s) for s in scenarios]}, indent=2))
        return 0 if scenarios and all(not s.problems for s in scenarios) else 1
    finally:
        for workers in STARTED_WORKERS:
            workers.stop()
        if lms is not None:
            lms.stop()
        if tool_server is not None:
            tool_server.shutdown()
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if scratch_url:
            try:
                drop_scratch_database(scratch_url)
            except Exception as exc:  # noqa: BLE001 - report it, still clean up the rest
                print(f"could not drop the scratch database: {exc}", file=sys.stderr)
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
