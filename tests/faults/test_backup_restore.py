"""The restore drill of docs/deploy.md: dump the database while scores are owed, restore it into a
scratch database, check the keys and the owed scores are all there, and let a worker on the restored
database deliver them, once each, with their original timestamps."""
from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from fault_support import LEARNERS, build_stack
from process_support import drop_database, emm_lti, grade_worker, pg_bin, scratch_database, wait_for


def run(*command: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run(list(command), env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_restore_drill(tmp_path: Path) -> None:
    worker_id = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(3)}"  # other checkouts share the server
    source = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_backup_{worker_id}")
    drill = scratch_database(os.environ["EMM_TEST_DATABASE_URL"], f"emm_drill_{worker_id}")
    stack = build_stack(tmp_path, source)
    try:
        stack.lms.lms.set_switches(ags_down=True, ags_retry_after=0)
        placement = stack.placement()
        for submission in [stack.quiz_form(sub, placement) for sub in LEARNERS]:
            assert submission.post().status_code == 303
        run(*emm_lti(), "keys", "rotate", env=stack.env, cwd=tmp_path)

        dump = tmp_path / "emm-nightly.dump"
        run(str(pg_bin() / "pg_dump"), "--format=custom", f"--file={dump}", libpq(source))
        run(str(pg_bin() / "pg_restore"), "--no-owner", f"--dbname={libpq(drill)}", str(dump))

        restored = {**stack.env, "EMM_DATABASE_URL": drill}
        for command in (("keys", "list"), ("grades", "status")):
            before = run(*emm_lti(), *command, env=stack.env, cwd=tmp_path)
            after = run(*emm_lti(), *command, env=restored, cwd=tmp_path)
            assert after == before, command
        status = run(*emm_lti(), "grades", "status", env=restored, cwd=tmp_path)
        assert status.splitlines()[-1] == "0 delivered, 3 pending, 0 failed, 0 waiting for a column"
        assert len(run(*emm_lti(), "keys", "list", env=restored, cwd=tmp_path).splitlines()) == 2

        # the restored database delivers what was owed at the time of the dump
        stack.lms.lms.set_switches(ags_down=False)
        worker = grade_worker(restored, tmp_path, name="drill-worker").start()
        try:
            wait_for(lambda: run(*emm_lti(), "grades", "status", env=restored, cwd=tmp_path).splitlines()[-1]
                     == "3 delivered, 0 pending, 0 failed, 0 waiting for a column", 60, "the restored scores delivered",
                     every=0.5)
        finally:
            worker.stop()
        stored = {k: v for k, v in stack.lms.scores.stored.items()}
        assert sorted(len(v) for v in stored.values()) == [1, 1, 1]
    finally:
        stack.stop()
        drop_database(source)
        drop_database(drill)
