"""The files an operator copies from config/: each read by the program that reads it (YAML, systemd's
unit format, nginx's language, gunicorn's config loader) and checked against the tool itself."""
from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from gunicorn.app.base import Application
from gunicorn.config import Config

from deploy_support import CONFIG, ROOT, location, parse_cli, parse_nginx, read_unit, servers
from lti_tool.config import PLACEHOLDER, Settings, setting_names

ENV_LINE = re.compile(r"^#?\s?(EMM_[A-Z0-9_]+)=(.*)$")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


# -- .env.example ---------------------------------------------------------------------------------

def test_env_example_lists_exactly_the_settings_the_tool_reads() -> None:
    lines = (CONFIG / ".env.example").read_text().splitlines()
    listed = [m.group(1) for line in lines if (m := ENV_LINE.match(line))]
    assert sorted(listed) == sorted(setting_names())
    assert len(listed) == len(set(listed)), "a setting is listed twice"


def test_env_example_gives_each_setting_a_meaning_and_its_default() -> None:
    lines = (CONFIG / ".env.example").read_text().splitlines()
    for at, line in enumerate(lines):
        match = ENV_LINE.match(line)
        if not match:
            continue
        comment = []
        for before in reversed(lines[:at]):
            if ENV_LINE.match(before):
                continue  # settings grouped under one comment (EMM_GRADE_RETRY_BASE and _CAP)
            if not before.startswith("#") or before.startswith("# ---"):
                break
            comment.append(before)
        text = " ".join(comment)
        assert "default" in text, f"{match.group(1)}: no default named above it"
        assert len(text) > 30, f"{match.group(1)}: no meaning given above it"


def test_env_example_values_are_placeholders_the_tool_refuses(tmp_path: Path) -> None:
    """The copied example cannot run by mistake with a guessable secret or password."""
    from lti_tool.config import ConfigError

    values = {m.group(1): m.group(2) for line in (CONFIG / ".env.example").read_text().splitlines()
              if not line.startswith("#") and (m := ENV_LINE.match(line))}
    assert PLACEHOLDER in values["EMM_SECRET_KEY"] and PLACEHOLDER in values["EMM_DATABASE_URL"]
    with pytest.raises(ConfigError, match="EMM_SECRET_KEY still holds"):
        Settings.from_env(env={**values, "EMM_INSTANCE_PATH": str(tmp_path)})


# -- compose.yaml ---------------------------------------------------------------------------------

def compose() -> dict:
    return yaml.safe_load((CONFIG / "compose.yaml").read_text())


def test_compose_has_the_production_services() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web1", "web2", "worker1", "worker2", "nginx"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["nginx"]["image"].startswith("nginx:")
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_compose_migrates_once_before_web_and_workers_start() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["emm-lti", "init"] and migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web1", "web2", "worker1", "worker2"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    for name in ("web1", "web2"):
        assert services[name]["command"][:2] == ["emm-lti", "serve"]
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
        assert services["nginx"]["depends_on"][name]["condition"] == "service_healthy"
    for name in ("worker1", "worker2"):
        assert services[name]["command"][:2] == ["emm-lti", "worker"]


def test_compose_commands_are_emm_lti_commands() -> None:
    services = compose()["services"]
    for name in ("migrate", "web1", "worker1"):
        parse_cli(services[name]["command"])


def test_compose_settings_are_known_and_shared_by_every_app_container() -> None:
    services = compose()["services"]
    env = services["web1"]["environment"]
    assert set(env) <= set(setting_names())
    for name in ("web2", "worker1", "worker2", "migrate"):
        assert services[name]["environment"] == env, name
    assert env["EMM_EMBEDDED_WORKER"] == "false"  # the worker containers deliver grades
    assert env["EMM_CACHE_URL"].startswith("redis://redis:")
    assert env["EMM_DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["EMM_DATABASE_URL"]
    assert "${EMM_SECRET_KEY:?" in env["EMM_SECRET_KEY"]  # one secret for every host, or no start at all
    subnet = ipaddress.ip_network(compose()["networks"]["emm"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_network(env["EMM_FORWARDED_ALLOW_IPS"]) == subnet  # nginx's address is in it


def test_compose_mounts_and_builds_files_that_exist() -> None:
    data = compose()
    web = data["services"]["web1"]
    assert (CONFIG / web["build"]["context"] / web["build"]["dockerfile"]).resolve().is_file()
    for volume in data["services"]["nginx"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./") and not source.endswith("/tls"):
            assert (CONFIG / source).is_file(), source
    dockerfile = (CONFIG / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), name


# -- systemd --------------------------------------------------------------------------------------

UNITS = sorted((CONFIG / "systemd").glob("*.service"))


def test_there_is_a_unit_for_web_and_for_workers() -> None:
    assert [u.name for u in UNITS] == ["emm-lti-web.service", "emm-lti-worker@.service"]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_is_hardened(path: Path) -> None:
    service = read_unit(path)["Service"]
    assert service["User"] == "emm-lti" and service["Group"] == "emm-lti"
    assert service["ProtectSystem"] == "strict"
    assert service["UMask"] == "0077"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectHome"] == "yes"
    assert service["CapabilityBoundingSet"] == ""
    # the one writable folder is where the instance folder lives
    assert service["ReadWritePaths"] == service["WorkingDirectory"] == "/var/lib/emm-lti"
    assert service["EnvironmentFile"] == "/etc/emm-lti/emm-lti.env"
    assert read_unit(path)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_does_not_restart_a_refusal(path: Path) -> None:
    """serve and worker exit 2 on a missing or old schema: restarting in a loop would not help."""
    assert read_unit(path)["Service"]["RestartPreventExitStatus"] == "2"


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_starts_an_emm_lti_command(path: Path) -> None:
    argv = read_unit(path)["Service"]["ExecStart"].split()
    ctx = parse_cli(argv)
    expected = "serve" if "web" in path.name else "worker"
    assert ctx.info_name == expected


def test_web_unit_serves_on_loopback_behind_the_proxy() -> None:
    ctx = parse_cli(read_unit(CONFIG / "systemd" / "emm-lti-web.service")["Service"]["ExecStart"].split())
    assert ctx.params["host"] == "127.0.0.1"
    upstream = (CONFIG / "nginx" / "upstreams.conf").read_text()
    assert f"server 127.0.0.1:{ctx.params['port']} " in upstream


# -- gunicorn.conf.py -----------------------------------------------------------------------------

class _ConfigFile(Application):
    """gunicorn's own loader, reading only the config file (no command line)."""

    def __init__(self, path: Path):
        self._path = path
        super().__init__(usage=None, prog=None)

    def load_config(self) -> None:
        self.load_config_from_file(str(self._path))

    def init(self, parser, opts, args):  # noqa: ANN001, D102 - gunicorn API
        return None

    def load(self):  # noqa: D102 - gunicorn API
        return None


def test_gunicorn_config_file_is_what_serve_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lti_tool import server

    monkeypatch.setenv("EMM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("EMM_FORWARDED_ALLOW_IPS", "10.0.0.0/24")
    monkeypatch.setenv("EMM_ACCESS_LOG", "-")
    _initialise(tmp_path)
    loaded = _ConfigFile(CONFIG / "gunicorn.conf.py").cfg
    expected = Config()
    for key, value in server.serve_options("127.0.0.1", 8000, 2, 4, Settings.from_env()).items():
        expected.set(key, value)
    for key in server.serve_options("127.0.0.1", 8000, 2, 4):
        if key in ("post_worker_init", "child_exit"):
            assert getattr(loaded, key) is getattr(server, key), key
        else:
            assert loaded.settings[key].get() == expected.settings[key].get(), key
    assert loaded.forwarded_allow_ips == ["10.0.0.0/24"] and loaded.accesslog == "-"
    assert loaded.wsgi_app == "lti_tool.wsgi:app"


def _initialise(instance: Path) -> None:
    """What `emm-lti init` does, for the instance named by the environment."""
    from lti_tool.app import create_app
    from lti_tool.cli import init_database
    from lti_tool.config import prepare_instance
    from lti_tool.extensions import db

    app = create_app(prepare_instance())
    init_database(app)
    with app.app_context():
        db.engine.dispose()
    assert (instance / "secret_key").is_file()


def test_gunicorn_config_file_refuses_an_instance_never_initialised(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMM_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("EMM_SECRET_KEY", "k" * 40)
    with pytest.raises(SystemExit) as stopped:
        _ConfigFile(CONFIG / "gunicorn.conf.py")
    assert str(stopped.value) == ("emm-lti: the database has no schema yet: run `emm-lti init` "
                                  "(or `emm-lti db upgrade`) first")
    assert not (tmp_path / "instance").exists()  # checking wrote nothing


# -- nginx ----------------------------------------------------------------------------------------

def nginx_site():
    return parse_nginx((CONFIG / "nginx" / "emm-lti.conf").read_text())


def test_nginx_sends_http_to_https() -> None:
    plain = servers(nginx_site())["80"]
    assert location(plain, "/").one("return").args == ["301", "https://$host$request_uri"]


def test_nginx_tls_site_with_hsts_everywhere() -> None:
    site = servers(nginx_site())["443"]
    assert any("ssl" in args for args in site.values("listen"))
    assert site.one("ssl_certificate").args and site.one("ssl_certificate_key").args
    assert site.one("ssl_protocols").args == ["TLSv1.2", "TLSv1.3"]
    hsts = ["Strict-Transport-Security", "max-age=63072000; includeSubDomains", "always"]
    assert hsts in site.values("add_header")
    # a location with an add_header of its own does not inherit the server's: each repeats HSTS
    for loc in site.find("location"):
        if loc.find("add_header"):
            assert hsts in loc.values("add_header"), loc.args


def test_nginx_buffers_and_limits_slow_clients(tmp_path: Path) -> None:
    site = servers(nginx_site())["443"]
    assert site.one("proxy_request_buffering").args == ["on"]
    assert site.one("proxy_buffering").args == ["on"]
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        seconds = int(site.one(name).args[0].rstrip("s"))
        assert 5 <= seconds <= 60, name
    assert site.one("client_max_body_size").args == ["256k"]
    # the same limit as the app's
    assert Settings.from_env(env={}, instance_path=str(tmp_path), secret_key="x" * 32).flask_config()[
        "MAX_CONTENT_LENGTH"] == 256 * 1024


def test_nginx_forwards_what_the_app_trusts_and_lets_the_lms_frame_it() -> None:
    site = servers(nginx_site())["443"]
    headers = {args[0]: args[1] for args in site.values("proxy_set_header")}
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Forwarded-For"] == "$remote_addr"  # not the client's own list
    assert headers["X-Request-ID"] == "$emm_request_id"
    assert headers["Host"] == "$host"
    assert ["X-Frame-Options"] in site.values("proxy_hide_header")
    every = [d for loc in site.find("location") for d in loc.find("add_header")] + site.find("add_header")
    assert not [d for d in every if d.args[0].lower() in ("x-frame-options", "content-security-policy")]


def test_nginx_caching_rules() -> None:
    site = servers(nginx_site())["443"]
    learner = location(site, "/l/")
    assert ["Cache-Control", "no-store, private", "always"] in learner.values("add_header")
    assert learner.one("proxy_no_cache").args == ["1"]
    static = location(site, "/static/")
    cache = dict((a[0], a[1]) for a in static.values("add_header"))["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 7 * 86400 and "public" in cache
    assert location(site, "=", "/metrics").one("return").args == ["404"]


def test_nginx_access_log_leaves_launch_references_out() -> None:
    conf = nginx_site()
    formats = conf.values("log_format")
    assert formats and "$request_uri" not in " ".join(formats[0]) and "$emm_log_uri" in " ".join(formats[0])
    assert servers(conf)["443"].one("access_log").args[1] == formats[0][0]


if NGINX:
    def test_nginx_accepts_the_site(tmp_path: Path) -> None:
        """`nginx -t` with the site as shipped, its include and certificate paths pointed at test files."""
        from tls_support import self_signed

        cert, key = self_signed(tmp_path, "emm.example.org")
        site = (CONFIG / "nginx" / "emm-lti.conf").read_text()
        site = (site.replace("/etc/nginx/emm-lti/upstreams.conf", str(CONFIG / "nginx" / "upstreams.conf"))
                .replace("/etc/nginx/emm-lti/tls/fullchain.pem", str(cert))
                .replace("/etc/nginx/emm-lti/tls/privkey.pem", str(key))
                .replace("/var/log/nginx/", f"{tmp_path}/"))
        (tmp_path / "site.conf").write_text(site)
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
            f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n")
        result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                 "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
