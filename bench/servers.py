"""The server side of the benchmarks: start a tool under gunicorn, stop it, read the CPU it used,
and serve the fake LMS's key set on loopback.

Shared by launch_bench.py and pages_bench.py so that both start `emm-lti serve` the same way and
measure its CPU the same way. Linux only: CPU time is read from /proc.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

HOST = "127.0.0.1"  # every server a benchmark starts listens on loopback only
CLK_TCK = os.sysconf("SC_CLK_TCK")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing: stderr is for the benchmark's own output."""

    def log_message(self, *args: Any) -> None:
        pass


def serve_on_loopback(handler: type[BaseHTTPRequestHandler], name: str) -> ThreadingHTTPServer:
    """`handler` on a free loopback port, served from a daemon thread (the fake LMS, in the driver's process).
    Stop it with `shutdown()` then `server_close()`."""
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server


def serve_wsgi(app: Any, host: str, port: int, workers: int, threads: int) -> None:
    """Serve `app` under gunicorn with `gunicorn_options`, the settings `emm-lti serve` uses.

    The launch benchmark's other tools (the baseline, the floor) run this way, so all of them
    pay the same server costs.
    """
    from gunicorn.app.base import BaseApplication

    from lti_tool.server import gunicorn_options

    class _Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers, threads).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    _Application().run()


def serve_from_command_line(app: Any, description: str, default_port: int) -> None:
    """`--host --port --workers --threads`, then `serve_wsgi`: the command line of the bench's own servers."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    serve_wsgi(app, args.host, args.port, args.workers, args.threads)


def free_port() -> int:
    """A port nobody listens on now, for a server about to start."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without EMM_* settings, so a server starts from the defaults plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMM_")}
    env.update(extra)
    return env


def emm_lti_command() -> list[str]:
    """`emm-lti` of this interpreter's environment, or the module when the script is not installed."""
    script = Path(sys.executable).parent / "emm-lti"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lti_tool.cli"]


def init_instance(env: dict[str, str], cwd: Path) -> None:
    """`emm-lti init`, as an operator runs it before anything else (serve never migrates)."""
    done = subprocess.run([*emm_lti_command(), "init"], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"emm-lti init failed:\n{done.stdout}{done.stderr}")


def platform_add(env: dict[str, str], cwd: Path, *, issuer: str, client_id: str, deployment_id: str,
                 auth_login_url: str, auth_token_url: str, key_set_url: str, name: str) -> None:
    """Register the benchmark's LMS with `emm-lti platform add`, as an operator would, before serving
    (after `emm-lti init`)."""
    init_instance(env, cwd)
    add = subprocess.run(
        [*emm_lti_command(), "platform", "add", "--issuer", issuer, "--client-id", client_id,
         "--deployment-id", deployment_id, "--auth-login-url", auth_login_url,
         "--auth-token-url", auth_token_url, "--key-set-url", key_set_url, "--name", name],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )
    if add.returncode != 0:
        raise RuntimeError(f"emm-lti platform add failed:\n{add.stdout}{add.stderr}")


def revision() -> str:
    """The commit measured, and whether the tool's code had uncommitted changes (read-only git)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "lti_tool"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes in lti_tool/" if dirty else "")


def serve_command(port: int, workers: int, threads: int) -> list[str]:
    """`emm-lti serve` on loopback: gunicorn with the settings an operator gets."""
    return [*emm_lti_command(), "serve", "--host", HOST, "--port", str(port),
            "--workers", str(workers), "--threads", str(threads)]


@dataclass(kw_only=True)
class Server:
    """A server process in its own session, so that one signal reaches the master and all its workers."""

    name: str
    #: a GET path that answers 200 once the server is up
    ready_path: str
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        """Run `command` in `cwd`, its output to `cwd`/server.log; returns at once (see `wait_ready`)."""
        self.log_path = cwd / "server.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll `ready_path` until it answers 200; raise with the log's end if the server exits or stays silent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        """SIGTERM to the whole session (gunicorn's graceful stop), SIGKILL if it takes longer than 25 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=25)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so the caller's `finally` stops its servers (they run in their own
    sessions and would outlive it otherwise)."""
    def _raise_exit(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise_exit)


# -- CPU time from /proc --------------------------------------------------------------------------

def tree_cpu_seconds(root: int) -> float:
    """utime+stime of `root` and every live descendant, plus what `root` reaped: a gunicorn master's
    workers do the work, and one that restarted during a measurement still counts."""
    ticks = 0
    pids = [root]
    i = 0
    while i < len(pids) and i < 1000:
        pid = pids[i]
        i += 1
        stat = _stat(pid)
        if stat is None:
            continue
        ticks += stat[0] + stat[1]
        if pid == root:
            ticks += stat[2] + stat[3]  # children that exited and were waited for
        pids.extend(_children(pid))
    return ticks / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (from /proc/stat: all but idle and iowait)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already counted in user and nice
    return (sum(fields[:8]) - idle) / CLK_TCK


def _stat(pid: int) -> tuple[int, int, int, int] | None:
    """utime, stime, cutime, cstime of `pid` in clock ticks; None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is /proc/<pid>/stat field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17
        return int(fields[11]), int(fields[12]), int(fields[13]), int(fields[14])
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The children of every thread of `pid` (a child belongs to the thread that forked it)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


# -- PostgreSQL scratch databases -----------------------------------------------------------------

def create_scratch_database(base_url: str, prefix: str = "emm_bench") -> str:
    """A fresh database on the PostgreSQL server of `base_url` (loopback only); returns its SQLAlchemy URL."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if base_url.startswith("postgresql://") else base_url)
    if url.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit("--database-url must point at a PostgreSQL server on 127.0.0.1")
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_scratch_database(db_url: str) -> None:
    """Drop a database `create_scratch_database` made, with whatever is still connected to it."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
