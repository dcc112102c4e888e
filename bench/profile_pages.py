"""Where a learner page's server CPU goes: each learner request through Flask's test client, in-process.

No gunicorn, no sockets, one thread: what is left is the application's own work per request. For
each kind of learner request (the module overview, a reading page, "Next" at its end, a reading
page opened again, the quiz opened first and again, the submission, the result) it prints the CPU
per request, the CPU of its parts (loading the launch, SQL, rendering, the commit), the SQL
statements one request runs and, for the kinds named with --profile, a cProfile listing. It
complements pages_bench.py (which measures the real server under load) when looking for what to
make cheaper.

    python bench/profile_pages.py [--learners 200] [--profile module,page,quiz-again] [--top 30]
                                  [--save DIR] [--workdir DIR] [--lang en|es|fr]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch_bench import FakeLms  # noqa: E402
from pages_bench import HIDDEN, quiz_form  # noqa: E402
from profile_launch import StepTimers, build_ours  # noqa: E402

MODULE = "m01"
KINDS = ("module", "page", "read", "page-again", "quiz-first", "quiz-again", "submit", "result")


class Learner:
    """One launched learner of the in-process tool; every request is checked for its status."""

    def __init__(self, client: Any, base: str):
        self.client = client
        self.base = base
        self.token = ""
        self.quiz: list[tuple[str, str]] = []
        self.result = ""

    def get(self, path: str, status: int = 200) -> str:
        response = self.client.get(self.base + path)
        if response.status_code != status:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response.get_data(as_text=True)

    def post(self, path: str, data: Any, status: int = 303) -> Any:
        response = self.client.post(self.base + path, data=data)
        if response.status_code != status:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return response


def launch(tool: Any, lms: FakeLms, n: int, lang: str) -> Learner:
    login = tool.client.post(tool.login_path, data=lms.login_params(tool.launch_url, n))
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    cookie = "; ".join(c.split(";", 1)[0] for c in login.headers.getlist("Set-Cookie"))
    claims = lms.claims(query["nonce"][0], tool.launch_url, n)
    claims["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"] = {"locale": lang}
    response = tool.client.post(tool.launch_path, data={"id_token": lms.sign(claims), "state": query["state"][0]},
                                headers={"Cookie": cookie})
    if response.status_code != 303:
        raise RuntimeError(f"launch answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    ref = urlsplit(response.headers["Location"]).path.split("/")[2]
    return Learner(tool.client, f"/l/{ref}")


def requests_of(kind: str, learners: list[Learner], pages: list[str]) -> list[Callable[[], Any]]:
    """The requests of one kind, in the order a learner makes them (each kind prepares the next)."""
    m = f"/m/{MODULE}"

    def first_quiz(learner: Learner) -> None:
        learner.quiz = quiz_form(learner.get(f"{m}/quiz"))

    def submit(learner: Learner) -> None:
        learner.result = urlsplit(learner.post(f"{m}/quiz", MultiDict(learner.quiz)).headers["Location"]).path.split(m, 1)[1]

    if kind == "module":
        return [lambda learner=learner: learner.get(f"{m}/") for learner in learners]
    if kind in ("page", "page-again"):   # again: the page to resume at changes, the page was seen
        return [lambda learner=learner, page=page: learner.get(f"{m}/p/{page}") for page in pages for learner in learners]
    if kind == "read":
        return [lambda learner=learner, page=page: learner.post(f"{m}/p/{page}/read", {"csrf_token": learner.token,
                                                                                       "go": "next"})
                for page in pages for learner in learners]
    if kind == "quiz-first":
        return [lambda learner=learner: first_quiz(learner) for learner in learners]
    if kind == "quiz-again":
        return [lambda learner=learner: learner.get(f"{m}/quiz") for learner in learners]
    if kind == "submit":
        return [lambda learner=learner: submit(learner) for learner in learners]
    return [lambda learner=learner: learner.get(m + learner.result) for learner in learners]


WHOLE = "the whole request in Flask (wsgi_app)"
#: the parts timed inside each request (CPU, inclusive: a statement run while rendering counts twice)
STEPS = (WHOLE, "loading the launch (load_launch)", "SQL statements (Session._execute_internal)",
         "rendering (render_template, learner views)", "the commit (Session.commit)")


def step_timers(app: Any) -> StepTimers:
    """Time the parts of every request: the launch, the SQL, the template, the commit."""
    from sqlalchemy.orm import Session

    from lti_tool.learner import views as learner_views
    from lti_tool.lti import current

    timers = StepTimers()
    timers.wrap(app, "wsgi_app", STEPS[0])
    timers.wrap(current, "load_launch", STEPS[1])
    timers.wrap(Session, "_execute_internal", STEPS[2])
    timers.wrap(learner_views, "render_template", STEPS[3])
    timers.wrap(Session, "commit", STEPS[4])
    return timers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200, help="learners launched; each makes every request")
    parser.add_argument("--profile", default="", help=f"kinds to run under cProfile, comma-separated: {', '.join(KINDS)}")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--lang", default="en", choices=("en", "es", "fr"), help="the launch's locale")
    parser.add_argument("--save", type=Path, help="write <kind>.prof files (pstats) here")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    profiled = {k for k in args.profile.split(",") if k}
    if profiled - set(KINDS) or not 1 <= args.learners <= 5000:
        parser.error(f"--profile takes {', '.join(KINDS)}; --learners 1 to 5000")

    from sqlalchemy import event

    from lti_tool.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="emm-pages-profile-", dir=args.workdir))
    lms = FakeLms()
    try:
        tool = build_ours(lms, workdir)
        statements: list[str] = []
        with tool.app.app_context():
            event.listen(db.engine, "before_cursor_execute",
                         lambda _c, _k, statement, *_a: statements.append(" ".join(statement.split())[:150]))
        timers = step_timers(tool.app)
        warm = [launch(tool, lms, 100_000 + n, args.lang) for n in range(3)]
        learners = [launch(tool, lms, n, args.lang) for n in range(1, args.learners + 1)]
        pages = list(dict.fromkeys(re.findall(rf'/m/{MODULE}/p/([^"#]+)"', learners[0].get(f"/m/{MODULE}/"))))
        for learner in warm + learners:   # the read form's token is the launch's, the same on every page
            learner.token = dict(HIDDEN.findall(learner.get(f"/m/{MODULE}/p/{pages[0]}")))["csrf_token"]
        print(f"== in-process server CPU per learner request ({args.learners} learners, module {MODULE}, "
              f"locale {args.lang}; the first of each kind is warm-up)")
        for kind in KINDS:
            for job in requests_of(kind, warm, pages):
                job()
            jobs = requests_of(kind, learners, pages)
            profiler = cProfile.Profile() if kind in profiled else None
            del statements[:]
            timers.seconds.clear()
            timers.calls.clear()
            start = time.process_time()
            for job in jobs:
                if profiler is not None:
                    profiler.runcall(job)
                else:
                    job()
            spent = time.process_time() - start
            per_request = len(statements) / len(jobs)
            print(f"\n{kind:>11}: {spent * 1000 / len(jobs):6.2f} ms CPU per request "
                  f"({len(jobs)} requests{', under cProfile' if profiler else ''}); {per_request:.1f} SQL statements each")
            whole = timers.seconds[WHOLE] or 1e-9
            for label in STEPS:
                share = timers.seconds[label] * 1000 / len(jobs)
                print(f"             {share:6.2f} ms {timers.seconds[label] / whole:4.0%}  {label}")
            first = statements[: round(per_request)]
            for statement in first:
                print(f"             {statement}")
            if profiler is not None:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).strip_dirs()
                for order in ("cumulative", "tottime"):
                    out.seek(0)
                    out.truncate()
                    stats.sort_stats(order).print_stats(args.top)
                    body = out.getvalue()
                    print(f"-- {kind}: top {args.top} by {order}")
                    print(body[body.index("   ncalls"):] if "   ncalls" in body else body)
                if args.save is not None:
                    args.save.mkdir(parents=True, exist_ok=True)
                    stats.dump_stats(str(args.save / f"{kind}.prof"))
    finally:
        lms.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
