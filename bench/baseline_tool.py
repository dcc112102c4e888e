"""The launch benchmark's baseline: a minimal LTI 1.3 tool written the way pylti1p3's Flask docs show.

It follows pylti1p3's README ("Usage with Flask", "Flask cache data storage", "Cache for Public
Key") and its Flask example (`game/app.py`): a `ToolConfJsonFile` read from the JSON config in each
view, `FlaskOIDCLogin(...).enable_check_cookies().redirect(target_link_uri)` at login, and
`FlaskMessageLaunch(...).get_launch_data()` at launch, which validates state (cookie), the JWT
signature against the platform's JWKS, the nonce, the registration, the deployment and the message,
then renders a small page. Deliberately left out from the example, none of them needed and all of
them slower or unsafe: `DEBUG=True`, a hard-coded secret, `pprint` of every launch, the nonce
exception for one issuer, the reverse-proxy shim.

Two choices that make the baseline *faster or more correct*, never slower:
- launch data lives in Flask-Caching's FileSystemCache, not the example's per-process
  SimpleCache: with several gunicorn workers the login and the launch often land in different
  processes, and SimpleCache would then lose the nonce and refuse the launch. Its threshold is
  20,000 entries, as in our tool's own state store, so no pruning runs during a benchmark;
- the platform key set is cached in that same store (README "Cache for Public Key",
  `set_public_key_caching`), so it is fetched once, not on every launch as in the example.
  `BASELINE_KEY_CACHE=0` turns the cache off, to measure the example exactly as written.

Run it under gunicorn with `lti_tool.server.gunicorn_options`, the settings `emm-lti serve` uses
(serve adds only a hook that starts its own grade worker):

    BASELINE_LTI_CONFIG=/path/tool.json BASELINE_CACHE_DIR=/path/cache \\
        python bench/baseline_tool.py --host 127.0.0.1 --port 9001 --workers 2 --threads 4
"""
from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, jsonify, render_template
from flask_caching import Cache
from jinja2 import DictLoader
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.tool_config import ToolConfJsonFile

TEMPLATES = {
    # pylti1p3's FlaskOIDCLogin renders this name for the cookie check page; only reached when a
    # login arrives without lti1p3_new_window (the launch benchmark always sends it, see there)
    "cookies_allowed_js_check.html": (
        "<!doctype html><title>{{ loading_text }}</title>"
        "<p id=lti1p3-loading-msg>{{ loading_text }}</p>"
        "<p id=lti1p3-warning-msg hidden>{{ main_text }} <a id=lti1p3-new-tab-link "
        "href=\"?{% for k, v in params.items() %}{{ k }}={{ v|urlencode }}&{% endfor %}\">{{ click_text }}</a></p>"
    ),
    "launch.html": (
        "<!doctype html><title>Launched</title>"
        "<p>launch ok: {{ name }} ({{ message_type }})</p><p>launch id {{ launch_id }}</p>"
    ),
}

app = Flask("pylti1p3-baseline")
app.jinja_loader = DictLoader(TEMPLATES)
app.config.from_mapping(
    SECRET_KEY=os.environ.get("BASELINE_SECRET_KEY") or secrets.token_urlsafe(32),
    CACHE_TYPE="FileSystemCache",
    CACHE_DIR=os.environ.get("BASELINE_CACHE_DIR", "/tmp/pylti1p3-baseline-cache"),
    CACHE_THRESHOLD=20_000,
    CACHE_DEFAULT_TIMEOUT=600,
)
cache = Cache(app)
KEY_CACHE = os.environ.get("BASELINE_KEY_CACHE", "1") != "0"


def get_lti_config_path() -> str:
    return os.environ["BASELINE_LTI_CONFIG"]


def get_launch_data_storage() -> FlaskCacheDataStorage:
    return FlaskCacheDataStorage(cache)


@app.route("/login/", methods=["GET", "POST"])
def login() -> Any:
    tool_conf = ToolConfJsonFile(get_lti_config_path())
    launch_data_storage = get_launch_data_storage()

    flask_request = FlaskRequest()
    target_link_uri = flask_request.get_param("target_link_uri")
    if not target_link_uri:
        return "Missing target_link_uri", 400

    oidc_login = FlaskOIDCLogin(flask_request, tool_conf, launch_data_storage=launch_data_storage)
    return oidc_login.enable_check_cookies().redirect(target_link_uri)


@app.route("/launch/", methods=["POST"])
def launch() -> Any:
    tool_conf = ToolConfJsonFile(get_lti_config_path())
    flask_request = FlaskRequest()
    launch_data_storage = get_launch_data_storage()
    message_launch = FlaskMessageLaunch(flask_request, tool_conf, launch_data_storage=launch_data_storage)
    if KEY_CACHE:
        message_launch.set_public_key_caching(launch_data_storage, cache_lifetime=7200)
    launch_data = message_launch.get_launch_data()
    return render_template(
        "launch.html",
        name=launch_data.get("name", ""),
        message_type=launch_data.get("https://purl.imsglobal.org/spec/lti/claim/message_type"),
        launch_id=message_launch.get_launch_id(),
    )


@app.route("/jwks/", methods=["GET"])
def get_jwks() -> Any:
    tool_conf = ToolConfJsonFile(get_lti_config_path())
    return jsonify(tool_conf.get_jwks())


@app.errorhandler(LtiException)
@app.errorhandler(OIDCException)
def refused(exc: Exception) -> Any:
    # the docs say "make sure to handle exceptions": a refused launch is a 400, not a 500
    return f"launch refused: {exc}", 400


if __name__ == "__main__":
    from servers import serve_from_command_line  # bench/ is on sys.path when this file is run

    serve_from_command_line(app, __doc__.splitlines()[0], default_port=9001)
