"""config/gunicorn.conf.py serving for real, as docs/deploy.md starts it, and (when Debian's nginx is
installed, as .ci/run does) the nginx site in front of it over TLS."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from deploy_support import CONFIG
from process_support import Process, emm_lti, free_port, tool_env, wait_for

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def start_gunicorn(tmp_path: Path, **settings: str) -> tuple[Process, str]:
    env = tool_env(instance_path=tmp_path / "instance", secret_key="s" * 40, log_format="json", access_log="-",
                   **settings)
    init = subprocess.run([*emm_lti(), "init"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = Process("gunicorn", [str(gunicorn), "-c", str(CONFIG / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"],
                   env, tmp_path).start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.alive(), proc.log()[-2000:]
        try:
            return requests.get(url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(ready, 60, "gunicorn -c config/gunicorn.conf.py ready", every=0.1)
    return proc, url


def test_gunicorn_config_file_serves_with_json_logs_and_request_ids(tmp_path: Path) -> None:
    proc, url = start_gunicorn(tmp_path)
    try:
        health = requests.get(url + "/healthz", headers={"X-Request-ID": "probe-0123456789"}, timeout=5)
        assert health.status_code == 200 and health.headers["X-Request-ID"] == "probe-0123456789"
        refused = requests.get(url + "/l/not-a-real-reference.abc/m/m01/", timeout=5)
        assert refused.status_code == 401
        generated = refused.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        odd = requests.get(url + "/healthz", headers={"X-Request-ID": "bad id\twith spaces"}, timeout=5)
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-ID"])
    finally:
        proc.stop()
    lines = [json.loads(line) for line in proc.log().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    mine = [line for line in lines if line["request_id"] == generated]
    assert {line["logger"] for line in mine} >= {"lti_tool.error_pages", "gunicorn.access"}
    messages = " ".join(line["message"] for line in lines)
    assert "not-a-real-reference" not in proc.log()  # the reference is a credential: in no log line
    assert "GET /l/<ref>/m/m01/" in messages


if NGINX:
    def test_nginx_site_in_front_of_the_app(tmp_path: Path) -> None:
        from tls_support import self_signed

        proc, app_url = start_gunicorn(tmp_path, forwarded_allow_ips="127.0.0.1")
        http_port, https_port = free_port(), free_port()
        cert, key = self_signed(tmp_path, "emm.example.org")
        upstreams = tmp_path / "upstreams.conf"
        upstreams.write_text(f"server {app_url.removeprefix('http://')};\n")
        site = (CONFIG / "nginx" / "emm-lti.conf").read_text()
        site = (site.replace("/etc/nginx/emm-lti/upstreams.conf", str(upstreams))
                .replace("/etc/nginx/emm-lti/tls/fullchain.pem", str(cert))
                .replace("/etc/nginx/emm-lti/tls/privkey.pem", str(key))
                .replace("/var/log/nginx/", f"{tmp_path}/")
                .replace("listen [::]:80;", "").replace("listen [::]:443 ssl http2;", "")
                .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
                .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
                .replace("root /var/www/acme;", f"root {tmp_path};"))
        (tmp_path / "site.conf").write_text(site)
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\nmaster_process on;\n"
            f"worker_processes 1;\nuser root;\nevents {{}}\n"
            f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
            f"  include {tmp_path}/site.conf;\n}}\n")
        nginx = Process("nginx", [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                  "-e", str(tmp_path / "error.log")], tool_env(), tmp_path).start()
        base = f"https://127.0.0.1:{https_port}"
        http = requests.Session()
        http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the test's own certificate
        http.verify = str(cert)  # for emm.example.org and 127.0.0.1
        headers = {"Host": "emm.example.org"}
        try:
            wait_for(lambda: _answers(http, base + "/healthz", headers), 20, "nginx answering", every=0.1)
            redirect = requests.get(f"http://127.0.0.1:{http_port}/lti/config", headers=headers,
                                    allow_redirects=False, timeout=5)
            assert redirect.status_code == 301
            assert redirect.headers["Location"] == "https://emm.example.org/lti/config"

            ready = http.get(base + "/readyz", headers=headers, timeout=5)
            assert ready.status_code == 200
            assert ready.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
            assert re.fullmatch(r"[0-9a-f]{32}", ready.headers["X-Request-ID"])  # nginx's $request_id
            kept = http.get(base + "/healthz", headers={**headers, "X-Request-ID": "lb-0123456789"}, timeout=5)
            assert kept.headers["X-Request-ID"] == "lb-0123456789"

            # the app sees https (X-Forwarded-Proto from a trusted proxy): its URLs are https
            config = http.get(base + "/lti/config", headers=headers, timeout=5)
            assert "https://emm.example.org/lti/launch" in config.text

            static = http.get(base + "/static/emm.css", headers=headers, timeout=5)
            assert static.status_code == 200 and static.headers["Cache-Control"] == "public, max-age=604800"
            learner = http.get(base + "/l/not-a-reference.x/m/m01/", headers=headers, timeout=5)
            assert learner.status_code == 401 and learner.headers["Cache-Control"] == "no-store, private"
            assert learner.headers["Strict-Transport-Security"]
            assert "frame-ancestors" in learner.headers["Content-Security-Policy"]
            assert "X-Frame-Options" not in learner.headers
            assert http.get(base + "/metrics", headers=headers, timeout=5).status_code == 404
            too_big = http.post(base + "/lti/login", headers=headers, data={"x": "y" * 300_000}, timeout=10)
            assert too_big.status_code == 413
        finally:
            nginx.stop()
            proc.stop()
        access = (tmp_path / "emm-lti.access.log").read_text()
        assert "not-a-reference" not in access and "/l/<ref>/m/m01/" in access


def _answers(http: requests.Session, url: str, headers: dict[str, str]) -> bool:
    try:
        return http.get(url, headers=headers, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
