"""Fixtures for the demo LMS: its Flask test client, and a fake tool whose JWKS is served over real HTTP."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from demo_lms_helpers import BASE_URL, FakeTool, new_key
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.demo_lms import DemoLms, DemoLmsConfig, create_demo_lms


@pytest.fixture(scope="session")
def tool_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="session")
def platform_key_pem() -> bytes:
    """One platform key for the whole run: RSA generation is the slowest part of these tests."""
    return new_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture()
def fake_tool(tool_key: rsa.RSAPrivateKey) -> Iterator[FakeTool]:
    key = tool_key
    holder: dict[str, FakeTool] = {}

    @Request.application
    def wsgi(request: Request) -> Response:
        tool = holder["tool"]
        if request.path == "/.well-known/jwks.json":
            tool.jwks_hits += 1
            return Response(json.dumps(tool.jwks()), mimetype="application/json")
        return Response("not found", status=404)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    tool = FakeTool(url=f"http://127.0.0.1:{server.server_port}", key=key)
    tool.published = [(tool.kid, key)]
    holder["tool"] = tool
    try:
        yield tool
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def app(tmp_path: Path, fake_tool: FakeTool, platform_key_pem: bytes) -> Flask:
    state_dir = tmp_path / "demo_lms"
    state_dir.mkdir()
    (state_dir / "platform_key.pem").write_bytes(platform_key_pem)
    cfg = DemoLmsConfig(base_url=BASE_URL, tool_base_url=fake_tool.url, state_dir=state_dir)
    app = create_demo_lms(cfg)
    app.testing = True
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def lms(app: Flask) -> DemoLms:
    return app.extensions["demo_lms"]


