"""docs/deploy.md says what the tests do: its commands are real emm-lti commands, its files exist, and
its compose and gunicorn commands are the ones the config files and tests/deploy use."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deploy_support import CONFIG, ROOT, emm_lti_invocations, parse_cli, shell_commands
from process_support import emm_lti, tool_env

DOC = (ROOT / "docs" / "deploy.md").read_text()


def test_every_emm_lti_command_in_the_doc_parses() -> None:
    invocations = emm_lti_invocations(shell_commands(DOC))
    names = set()
    for argv in invocations:
        if argv[1:3] == ["db", "upgrade"] or argv[1:3] == ["db", "current"]:
            continue  # Flask-Migrate's group needs an app to list; tests/deploy/test_serving.py runs it
        ctx = parse_cli(argv)
        names.add(ctx.command_path.removeprefix("emm-lti "))
    assert {"init", "keys rotate", "keys retire", "keys list", "grades status", "platform invite"} <= names
    assert ["emm-lti", "platform", "invite", "--tool-url", "https://emm.example.org"] in invocations  # compose exec


def test_the_doc_runs_the_compose_file_as_its_header_says() -> None:
    header = (CONFIG / "compose.yaml").read_text()
    up = "docker compose -f config/compose.yaml up -d --build"
    assert up in DOC and up in header
    assert "cp config/.env.example config/.env" in DOC and "cp config/.env.example config/.env" in header


def test_the_doc_names_files_that_exist() -> None:
    for path in set(re.findall(r"\bconfig/[\w./@-]+[\w@]", DOC)):
        if path == "config/.env" or path.startswith("config/tls"):
            continue  # what the operator makes: the settings and the certificate
        assert (ROOT / path).exists(), path
    assert "gunicorn -c config/gunicorn.conf.py --bind 127.0.0.1:8000" in DOC


def test_sizing_gives_the_burst_benchmark_figures_and_how_to_measure_them() -> None:
    sizing = DOC.split("## Sizing", 1)[1].split("\n## ", 1)[0]
    assert "<!-- sizing:" not in sizing
    assert "python bench/burst_bench.py --participants 500 --config postgres" in sizing
    assert "python bench/burst_bench.py --quick" in sizing
    assert "load average" in sizing  # the machine is shared: every figure says how busy it was
    bench = (ROOT / "bench" / "burst_bench.py").read_text()
    for option in re.findall(r"burst_bench\.py[^\n`]*", sizing):
        for flag in re.findall(r"--[a-z-]+", option):
            assert f'"{flag}"' in bench, flag


def test_db_upgrade_and_current_are_deploy_steps(tmp_path: Path) -> None:
    env = tool_env(instance_path=tmp_path, secret_key="k" * 40)
    for command in (["db", "upgrade"], ["db", "current"]):
        result = subprocess.run([*emm_lti(), *command], env=env, cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout


def test_emm_lti_admin_runs_commands_with_the_service_settings(tmp_path: Path) -> None:
    """config/emm-lti-admin: the settings file, the service's user and folder; a variable already set wins."""
    env_file = tmp_path / "emm-lti.env"
    env_file.write_text(f"# settings\nEMM_INSTANCE_PATH={tmp_path / 'instance'}\nEMM_SECRET_KEY={'k' * 40}\n"
                        f"EMM_DATABASE_URL=sqlite:///{tmp_path / 'from-file.sqlite3'}\n")
    admin = [str(CONFIG / "emm-lti-admin")]
    env = {**tool_env(), "EMM_ENV_FILE": str(env_file), "EMM_LTI": emm_lti()[0], "EMM_USER": "root",
           "EMM_HOME": str(tmp_path)}
    before_init = subprocess.run([*admin, "keys", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert before_init.returncode == 2
    assert "the database has no schema yet: run `emm-lti init`" in before_init.stderr
    assert not (tmp_path / "from-file.sqlite3").exists()  # a read-only command created nothing
    assert subprocess.run([*admin, "init"], env=env, capture_output=True, timeout=120).returncode == 0
    listed = subprocess.run([*admin, "keys", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert re.match(r"^[0-9a-f]{16}\tactive\t", listed.stdout)
    assert "unknown setting" not in listed.stderr  # the script's own EMM_ENV_FILE … are not passed on
    assert (tmp_path / "from-file.sqlite3").exists()
    drill = {**env, "EMM_DATABASE_URL": f"sqlite:///{tmp_path / 'drill.sqlite3'}"}
    assert subprocess.run([*admin, "init"], env=drill, capture_output=True, timeout=120).returncode == 0
    assert (tmp_path / "drill.sqlite3").exists()
