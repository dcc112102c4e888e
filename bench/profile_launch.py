"""Where a launch's server CPU goes: login, launch and the page, through Flask's test client, under cProfile.

No gunicorn, no sockets, one thread: what is left is the application's own work per launch (up to
the page the learner sees: ours follows its redirects, the baseline's page is its launch response),
for our tool and for the pylti1p3 baseline, measured the same way. It complements
launch_bench.py (which measures the real servers) when looking for what to make faster.

    python bench/profile_launch.py [--launches 300] [--tool ours|baseline|both] [--top 25] [--save DIR]
                                   [--workdir DIR]
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import functools
import importlib.util
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch_bench import CLIENT_ID, DEPLOYMENT_ID, LEARNERS, ROOT, FakeLms, write_baseline_config  # noqa: E402

#: the test client's host: the tools build their URLs from it
TEST_HOST = "http://localhost"


class InProcessTool:
    """A Flask app, the paths of its login and launch, and the status of a successful launch."""

    def __init__(self, name: str, app: Any, login_path: str, launch_path: str, success: int,
                 login_extra: dict[str, str] | None = None):
        self.name = name
        self.app = app
        self.client = app.test_client(use_cookies=False)
        self.login_path = login_path
        self.launch_url = TEST_HOST + launch_path
        self.launch_path = launch_path
        self.success = success
        self.login_extra = login_extra or {}


def build_ours(lms: FakeLms, folder: Path) -> InProcessTool:
    from lti_tool.app import create_app
    from lti_tool.cli import init_database
    from lti_tool.config import Settings
    from lti_tool.extensions import db
    from lti_tool.platforms.services import PlatformSpec, register_platform

    app = create_app(Settings.from_env(env={}, instance_path=str(folder / "instance"), log_level="WARNING"))
    init_database(app)
    with app.app_context():
        register_platform(PlatformSpec.build(
            issuer=lms.issuer, client_id=CLIENT_ID, deployment_ids=[DEPLOYMENT_ID],
            auth_login_url=lms.auth_login_url, auth_token_url=lms.auth_token_url,
            key_set_url=lms.key_set_url("ours"), name="Benchmark LMS"))
        db.session.commit()
    return InProcessTool("ours", app, "/lti/login", "/lti/launch", 303)  # then the page it redirects to


def build_baseline(lms: FakeLms, folder: Path) -> InProcessTool:
    os.environ["BASELINE_LTI_CONFIG"] = str(write_baseline_config(lms, folder))
    os.environ["BASELINE_CACHE_DIR"] = str(folder / "cache")
    spec = importlib.util.spec_from_file_location("baseline_tool", ROOT / "bench" / "baseline_tool.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return InProcessTool("baseline", module.app, "/login/", "/launch/", 200, {"lti1p3_new_window": "1"})


def launch(tool: InProcessTool, lms: FakeLms, learner: int, around: Callable[[Callable[[], Any]], Any]) -> float:
    """One login + launch + page; `around` wraps each server call (timing, profiling). Returns server CPU seconds."""
    from urllib.parse import parse_qs, urlsplit

    spent = 0.0

    def call(fn: Callable[[], Any], part: str) -> Any:
        nonlocal spent
        start = time.process_time()
        result = around(fn)
        took = time.process_time() - start
        spent += took
        PARTS[tool.name][part] += took
        return result

    login = call(lambda: tool.client.post(tool.login_path, data={
        **lms.login_params(tool.launch_url, learner), **tool.login_extra}), "login")
    if login.status_code != 302:
        raise RuntimeError(f"{tool.name} login answered {login.status_code}: {login.get_data(as_text=True)[:300]}")
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    cookie = "; ".join(c.split(";", 1)[0] for c in login.headers.getlist("Set-Cookie"))
    token = lms.sign(lms.claims(query["nonce"][0], tool.launch_url, learner))
    response = call(lambda: tool.client.post(tool.launch_path, data={"id_token": token, "state": query["state"][0]},
                                             headers={"Cookie": cookie}), "launch")
    if response.status_code != tool.success:
        raise RuntimeError(f"{tool.name} launch answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    for _hop in range(3):  # ours: the 303 to the learner's page (and any redirect on from there)
        if response.status_code not in (301, 302, 303):
            break
        location = urlsplit(response.headers["Location"])
        response = call(lambda: tool.client.get(location.path, query_string=location.query), "page")
    if response.status_code != 200:
        raise RuntimeError(f"{tool.name} page answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return spent


#: server CPU seconds by tool and part of the launch (login, launch, page), over every launch made
PARTS: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)


class StepTimers:
    """CPU time (thread_time) spent inside chosen functions, inclusive of what they call."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        # a classmethod is called bound to its class; the timed stand-in is a plain function on it
        target = getattr(owner, attr) if isinstance(original, classmethod) else original

        @functools.wraps(target)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return target(*args, **kwargs)
            finally:
                self.seconds[label] += time.thread_time() - start
                self.calls[label] += 1

        self._undo.append((owner, attr, original))
        setattr(owner, attr, staticmethod(timed) if isinstance(original, classmethod) else timed)

    def undo(self) -> None:
        for owner, attr, original in reversed(self._undo):
            setattr(owner, attr, original)
        self._undo.clear()


def ours_steps(timers: StepTimers, tool: InProcessTool) -> Callable[[], list[str]]:
    """Time the steps of our login, launch and page; returns a function giving the SQL of the last launch."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from lti_tool.extensions import db
    from lti_tool.learner import views as learner_views
    from lti_tool.lti import launching, records, validation, views as lti_views
    from lti_tool.lti.launch_ref import LaunchRefs
    from lti_tool.state_store import FileStateStore

    timers.wrap(lti_views, "begin_login", "login: begin_login (registration lookup, state put, URL)")
    timers.wrap(launching, "validate_launch", "launch: validate_launch (PyJWT decode twice, RSA verify, checks)")
    timers.wrap(validation, "check_message", "launch:   pylti1p3 message validators")
    timers.wrap(records.LaunchFacts, "from_claims", "launch: LaunchFacts.from_claims (pure)")
    timers.wrap(launching, "write_launch", "launch: write_launch (used nonce, 4 upserts, launch: Session.execute)")
    for method in ("put", "get", "pop"):
        timers.wrap(FileStateStore, method, f"state store: FileStateStore.{method}")
    timers.wrap(LaunchRefs, "issue", "launch: LaunchRefs.issue (signed launch reference)")
    timers.wrap(launching.CompletedLaunch, "landing_url", "launch: landing_url (where the launch lands: no query)")
    timers.wrap(lti_views, "complete_launch", "launch: complete_launch (validate, facts, write, reference)")
    timers.wrap(Session, "commit", "all: Session.commit (after_request)")
    timers.wrap(learner_views, "render_template", "page: render_template (learner views)")
    timers.wrap(tool.app, "wsgi_app", "all: whole request in Flask (wsgi_app)")
    statements: list[str] = []
    with tool.app.app_context():
        engine = db.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", record)
    return lambda: statements


def baseline_steps(timers: StepTimers, tool: InProcessTool) -> Callable[[], list[str]]:
    from pylti1p3.message_launch import MessageLaunch
    from pylti1p3.oidc_login import OIDCLogin
    from pylti1p3.tool_config import ToolConfJsonFile

    timers.wrap(ToolConfJsonFile, "__init__", "both: ToolConfJsonFile(...) (reads JSON + key files)")
    timers.wrap(OIDCLogin, "redirect", "login: OIDCLogin.redirect (registration, state cookie, nonce put)")
    timers.wrap(MessageLaunch, "validate", "launch: MessageLaunch.validate (all steps)")
    for step in ("validate_state", "validate_jwt_format", "validate_nonce", "validate_registration",
                 "validate_jwt_signature", "validate_deployment", "validate_message", "save_launch_data"):
        timers.wrap(MessageLaunch, step, f"launch:   {step}")
    timers.wrap(tool.app, "wsgi_app", "both: whole request in Flask (wsgi_app)")
    return lambda: []


def profile(tool: InProcessTool, lms: FakeLms, launches: int, top: int, save: Path | None) -> float:
    for i in range(20):  # warm-up: imports, first queries, key-set fetch, template compile
        launch(tool, lms, i % LEARNERS + 1, lambda fn: fn())
    PARTS[tool.name].clear()
    cpu = sum(launch(tool, lms, i % LEARNERS + 1, lambda fn: fn()) for i in range(launches))
    per_launch = cpu * 1000 / launches
    parts = ", ".join(f"{part} {seconds * 1000 / launches:.2f}" for part, seconds in PARTS[tool.name].items())
    print(f"\n== {tool.name}: {per_launch:.2f} ms server CPU per launch (login + launch + page, in-process, "
          f"no profiler): {parts} ms")

    timers = StepTimers()
    sql = (ours_steps if tool.name == "ours" else baseline_steps)(timers, tool)
    for i in range(launches):
        del sql()[:]
        launch(tool, lms, i % LEARNERS + 1, lambda fn: fn())
    timers.undo()
    print(f"-- CPU per launch by step (thread CPU time, inclusive, mean over {launches} launches)")
    for label, seconds in sorted(timers.seconds.items()):
        print(f"  {seconds * 1000 / launches:6.2f} ms  {timers.calls[label] / launches:4.1f} calls/launch  {label}")
    statements = sql()
    if statements:
        print(f"  SQL statements in the last launch (login + launch + page): {len(statements)}")
        for statement in statements:
            print(f"    {statement}")
    profiler = cProfile.Profile()
    for i in range(launches):
        launch(tool, lms, i % LEARNERS + 1, lambda fn: profiler.runcall(fn))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    for order in ("cumulative", "tottime"):
        out.seek(0)
        out.truncate()
        stats.sort_stats(order).print_stats(top)
        body = out.getvalue()
        print(f"-- top {top} by {order} (cProfile over {launches} launches; times include profiler overhead)")
        print(body[body.index("   ncalls"):] if "   ncalls" in body else body)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(save / f"{tool.name}.prof"))
    return per_launch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--tool", choices=("ours", "baseline", "both"), default="both")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", type=Path, help="write <tool>.prof files (pstats) here")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent folder of the tools' temporary folders (default: the system's temporary folder)")
    args = parser.parse_args(argv)
    if not 1 <= args.launches <= 20_000:
        parser.error("--launches must be between 1 and 20000")
    workdir = Path(tempfile.mkdtemp(prefix="emm-launch-profile-", dir=args.workdir))
    lms = FakeLms()
    results = {}
    try:
        names = ["ours", "baseline"] if args.tool == "both" else [args.tool]
        for name in names:
            folder = workdir / name
            folder.mkdir()
            tool = build_ours(lms, folder) if name == "ours" else build_baseline(lms, folder)
            results[name] = profile(tool, lms, args.launches, args.top, args.save)
        if len(results) == 2:
            print(f"\nin-process server CPU per launch: ours {results['ours']:.2f} ms, baseline "
                  f"{results['baseline']:.2f} ms, ours/baseline x{results['ours'] / results['baseline']:.2f}")
    finally:
        lms.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
