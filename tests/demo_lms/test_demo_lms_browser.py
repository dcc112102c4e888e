"""A real browser launch through the demo LMS: OIDC redirects, form_post, CSP, and platform storage."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from werkzeug.serving import make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from lti_tool.demo_lms import DemoLms, DemoLmsConfig, create_demo_lms

pytestmark = pytest.mark.browser

#: The tool's launch page posts platform-storage messages to its parent and logs the answers.
TOOL_PAGE = """<!doctype html><html><body><h1>TOOL LAUNCH OK</h1>
<p id="message-type">%(message_type)s</p><pre id="log">[]</pre>
<script>
const platform = %(platform)s, answers = [];
window.addEventListener("message", (e) => {
  if (e.origin !== platform) return;
  answers.push(e.data);
  document.getElementById("log").textContent = JSON.stringify(answers);
});
parent.postMessage({subject: "lti.capabilities", message_id: "c1"}, "*");
parent.postMessage({subject: "lti.put_data", message_id: "p1", key: "state_abc", value: "xyz"}, platform);
parent.postMessage({subject: "lti.get_data", message_id: "g1", key: "state_abc"}, platform);
parent.postMessage({subject: "lti.get_data", message_id: "g2", key: "missing"}, platform);
</script></body></html>"""


def _serve(app: Any) -> tuple[Any, threading.Thread, int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread, server.server_port


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[tuple[DemoLms, str]]:
    """The demo LMS on 127.0.0.1 and a minimal tool on localhost: two sites, as in production."""
    holder: dict[str, Any] = {}

    @Request.application
    def tool(request: Request) -> Response:
        lms: DemoLms = holder["lms"]
        if request.path == "/lti/login":
            args = request.values
            params = {
                "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                "client_id": args["client_id"], "redirect_uri": lms.cfg.tool_launch_url,
                "login_hint": args["login_hint"], "lti_message_hint": args["lti_message_hint"],
                "state": "st-1", "nonce": "n-1",
            }
            return redirect(f"{lms.urls.auth}?{urlencode(params)}")
        if request.path == "/lti/launch" and request.method == "POST":
            claims = jwt.decode(request.form["id_token"], options={"verify_signature": False})
            page = TOOL_PAGE % {
                "message_type": claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
                "platform": json.dumps(lms.cfg.base_url),
            }
            return Response(page, mimetype="text/html")
        return Response("not found", status=404)

    tool_server, tool_thread, tool_port = _serve(tool)
    lms_server, lms_thread, lms_port = _serve(lambda environ, start: holder["app"](environ, start))
    cfg = DemoLmsConfig(
        base_url=f"http://127.0.0.1:{lms_port}", tool_base_url=f"http://localhost:{tool_port}", state_dir=tmp_path
    )
    holder["app"] = create_demo_lms(cfg)
    holder["lms"] = holder["app"].extensions["demo_lms"]
    try:
        yield holder["lms"], cfg.base_url
    finally:
        for server, thread in ((lms_server, lms_thread), (tool_server, tool_thread)):
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def test_iframe_launch_with_platform_storage(running: tuple[DemoLms, str], browser) -> None:
    from playwright import sync_api

    lms, base_url = running
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{base_url}/")
        page.get_by_label("Marcus Charles").check()
        page.get_by_role("button", name="Open Module 01 — The Global Context of Migration").click()
        frame = page.frame_locator("#tool-frame")
        sync_api.expect(frame.locator("h1")).to_have_text("TOOL LAUNCH OK")
        sync_api.expect(frame.locator("#message-type")).to_have_text("LtiResourceLinkRequest")
        log = frame.locator("#log")
        log.filter(has_text='"g2"').wait_for()  # the last answer has arrived
        answers = {a["message_id"]: a for a in json.loads(log.text_content() or "[]")}
    finally:
        context.close()
    assert answers["c1"]["subject"] == "lti.capabilities.response"
    assert {m["subject"] for m in answers["c1"]["supported_messages"]} >= {"lti.get_data", "lti.put_data"}
    assert answers["p1"] == {"subject": "lti.put_data.response", "message_id": "p1", "key": "state_abc", "value": "xyz"}
    assert answers["g1"] == {"subject": "lti.get_data.response", "message_id": "g1", "key": "state_abc", "value": "xyz"}
    assert answers["g2"]["error"]["code"] == "bad_request" and "value" not in answers["g2"]
    assert lms.stats["id_tokens"] == 1
