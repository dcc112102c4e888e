"""Real server processes for the operations and fault tests: `emm-lti serve` and `emm-lti worker` as an
operator starts them, a throw-away PostgreSQL cluster (Debian's pg_ctl) and Redis server, and the demo
LMS on loopback in the test's own process (so a test flips its switches and reads its gradebook)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests
from werkzeug.serving import make_server

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def emm_lti() -> list[str]:
    script = Path(sys.executable).parent / "emm-lti"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lti_tool.cli"]


def tool_env(**settings: Any) -> dict[str, str]:
    """This environment without EMM_* variables, plus the given settings as EMM_<NAME>."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMM_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({f"EMM_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll `condition` until it returns something other than None or False (a 503 response is falsy,
    and may be what we wait for); raise naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(every)


@dataclass
class Process:
    """A command in its own session (one signal reaches a gunicorn master and its workers)."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    proc: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.cwd / f"{self.name}.log"

    def start(self) -> "Process":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole session: no goodbye, no cleanup (a crash, an OOM kill)."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class ToolServer(Process):
    """`emm-lti serve` on a free loopback port."""

    def __init__(self, env: dict[str, str], cwd: Path, *, workers: int = 2, threads: int = 4, name: str = "serve"):
        self.port = free_port()
        super().__init__(name, [*emm_lti(), "serve", "--host", HOST, "--port", str(self.port),
                                "--workers", str(workers), "--threads", str(threads)], env, cwd)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        def up() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
            try:
                return requests.get(self.url + "/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(up, timeout, f"{self.name} ready on {self.url}", every=0.1)

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes under this master."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []


def init_instance(env: dict[str, str], cwd: Path) -> None:
    """`emm-lti init`, as an operator runs it first: serve and worker never migrate the schema."""
    done = subprocess.run([*emm_lti(), "init"], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def grade_worker(env: dict[str, str], cwd: Path, *extra: str, name: str = "worker") -> Process:
    return Process(name, [*emm_lti(), "worker", "--idle", "0.1", *extra], env, cwd)


# -- PostgreSQL and Redis of a test's own ---------------------------------------------------------

def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


class PostgresCluster:
    """A throw-away cluster run by the `postgres` user (PostgreSQL refuses to run as root), loopback only.

    Its folder is a fresh temporary one outside pytest's (which only root may enter)."""

    def __init__(self) -> None:
        import tempfile

        self.bin = pg_bin()
        assert self.bin is not None, "Debian's postgresql package is needed (apt-get install postgresql)"
        self.root = Path(tempfile.mkdtemp(prefix="emm-test-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        shutil.chown(self.root, "postgres")
        self._as_postgres(f"{self.bin}/initdb -D {self.data} -U postgres -A trust >/dev/null")

    def _as_postgres(self, command: str) -> None:
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, timeout=120,
                       stdout=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -l {self.root}/server.log -w -o "
                          f"\"-p {self.port} -k {self.root} -c listen_addresses={HOST} -c fsync=off\" start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m {mode} -w stop")

    def destroy(self) -> None:
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", f"{self.bin}/pg_ctl -D {self.data} -m immediate stop"],
                       timeout=60, check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer(Process):
    """redis-server on a free loopback port, nothing saved to disk."""

    def __init__(self, cwd: Path, port: int | None = None):
        self.port = port or free_port()
        super().__init__("redis", ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
                                   "--appendonly", "no", "--dir", str(cwd)], tool_env(), cwd)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def wait_ready(self) -> None:
        def pong() -> bool:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(pong, 20, "redis-server answering")


def scratch_database(base_url: str, name: str) -> str:
    """A fresh database on the server of `base_url` (dropped by `drop_database`), named `name` plus a
    random suffix: test runs of other checkouts on the same server never meet it."""
    import secrets

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{name}_{secrets.token_hex(3)}"

    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(db_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    except psycopg.OperationalError:
        pass  # the server is gone already (a throw-away cluster)


# -- the demo LMS, recording every score it stores ------------------------------------------------

class RecordingScores(dict):
    """The demo LMS's gradebook dict, remembering every score stored: (line item, user) -> [timestamps]."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stored: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def __setitem__(self, key: Any, record: Any) -> None:
        with self._lock:
            self.stored.setdefault(key, []).append(record.received["timestamp"])
        super().__setitem__(key, record)


class DemoLms:
    """The demo LMS on http://localhost:<port>, for a tool at `tool_url`; `registration` for `platform add`."""

    def __init__(self, tool_url: str, state_dir: Path):
        from lti_tool.demo_lms import DemoLmsConfig, create_demo_lms

        holder: dict[str, Any] = {}
        self._server = make_server(HOST, 0, lambda env, start: holder["app"](env, start), threaded=True)
        self.url = f"http://localhost:{self._server.server_port}"
        self.app = holder["app"] = create_demo_lms(DemoLmsConfig(base_url=self.url, tool_base_url=tool_url,
                                                                 state_dir=state_dir))
        self.lms = self.app.extensions["demo_lms"]
        self.scores = RecordingScores(self.lms.state.scores)
        self.lms.state.scores = self.scores
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def registration(self) -> dict[str, Any]:
        return self.lms.registration_values()

    def stop(self) -> None:
        self._server.shutdown()
