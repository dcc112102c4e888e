"""Test helpers for LTI flows over real HTTP: live servers, a test platform that signs id_tokens."""
from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

MOODLE = Path(__file__).parent / "fixtures" / "moodle"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def moodle_fixture(name: str) -> dict[str, Any]:
    return json.loads((MOODLE / name).read_text())


class LiveServer:
    """A WSGI app on an ephemeral loopback port, in a thread."""

    def __init__(self, wsgi_app: Any, host: str = "127.0.0.1"):
        self._server = make_server(host, 0, wsgi_app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()


_KEYS: list[Any] = []


def rsa_key() -> Any:
    """A fresh RSA key; a small pool is reused across tests because generation is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private: Any, kid: str) -> dict[str, Any]:
    data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    data.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return data


class KeyServer:
    """Serves GET /<platform>/jwks for every FakePlatform; counts the fetches. `routes` adds other
    platform endpoints by path (the dynamic registration tests serve a configuration this way)."""

    def __init__(self) -> None:
        self.keysets: dict[str, list[dict[str, Any]]] = {}
        self.hits: dict[str, int] = {}
        self.routes: dict[str, Any] = {}

        @Request.application
        def wsgi(request: Request) -> Response:
            if request.path in self.routes:
                return self.routes[request.path](request)
            parts = request.path.strip("/").split("/")
            if len(parts) == 2 and parts[1] == "jwks" and parts[0] in self.keysets:
                self.hits[parts[0]] = self.hits.get(parts[0], 0) + 1
                return Response(json.dumps({"keys": self.keysets[parts[0]]}), mimetype="application/json")
            return Response("not found", status=404)

        self._live = LiveServer(wsgi)
        self.url = self._live.url

    def stop(self) -> None:
        self._live.stop()


@dataclass
class Login:
    state: str
    nonce: str
    cookies: dict[str, str]
    response: requests.Response


@dataclass
class FakePlatform:
    """One registered platform: a unique issuer, its keys (served by KeyServer) and a deployment."""

    key_server: KeyServer
    tool_url: str
    slug: str = field(default_factory=lambda: "p" + secrets.token_hex(4))
    client_id: str = field(default_factory=lambda: "client-" + secrets.token_hex(3))
    deployment_id: str = "1"

    def __post_init__(self) -> None:
        self.issuer = f"{self.key_server.url}/{self.slug}"
        self.kid = "kid-" + secrets.token_hex(4)
        self.key = rsa_key()
        self.key_server.keysets[self.slug] = [public_jwk(self.key, self.kid)]

    @property
    def key_set_url(self) -> str:
        return f"{self.key_server.url}/{self.slug}/jwks"

    def registration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer, "client_id": self.client_id, "deployment_ids": [self.deployment_id],
            "auth_login_url": f"{self.key_server.url}/{self.slug}/auth",
            "auth_token_url": f"{self.key_server.url}/{self.slug}/token",
            "key_set_url": self.key_set_url, "name": f"Test LMS {self.slug}",
        }

    def rotate_key(self) -> None:
        """The LMS rotates: a new kid replaces the old one in its key set."""
        self.kid = "kid-" + secrets.token_hex(4)
        self.key = rsa_key()
        self.key_server.keysets[self.slug] = [public_jwk(self.key, self.kid)]

    # -- messages ---------------------------------------------------------------------------------

    def claims(self, nonce: str, fixture: str = "02_id_token_student_resource_link.json", **overrides: Any) -> dict[str, Any]:
        """Claims shaped exactly like a captured Moodle launch, re-addressed to this platform."""
        now = int(time.time())
        claims = fixture_claims(fixture, **{
            "iss": self.issuer, "aud": self.client_id, "nonce": nonce, "iat": now, "exp": now + 60,
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": self.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": self.tool_url + "/lti/launch"})
        settings = claims.get(DL_SETTINGS)
        if isinstance(settings, dict) and settings.get("deep_link_return_url"):
            # the LMS's own host (the tool sends the signed answer nowhere else), path and query as captured
            parts = urlsplit(settings["deep_link_return_url"])
            settings["deep_link_return_url"] = self.key_server.url + parts.path + ("?" + parts.query if parts.query else "")
        return fixture_claims_with(claims, overrides)

    def sign(self, claims: dict[str, Any], *, key: Any = None, kid: str | None = None,
             alg: str = "RS256", headers: dict[str, Any] | None = None) -> str:
        hdrs = {"kid": kid if kid is not None else self.kid, **(headers or {})}
        if hdrs.get("kid") is None:
            hdrs.pop("kid")
        return jwt.encode(claims, key if key is not None else self.key, algorithm=alg, headers=hdrs)


DROP = object()


def fixture_claims(fixture: str, **overrides: Any) -> dict[str, Any]:
    """A captured Moodle launch's claims with some changed; a claim given as DROP is left out."""
    return fixture_claims_with(copy.deepcopy(moodle_fixture(fixture)["claims"]), overrides)


def fixture_claims_with(claims: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`claims` with `overrides` applied; a claim given as DROP is left out."""
    for key, value in overrides.items():
        if value is DROP:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def launch_base(response: requests.Response) -> str:
    """`/l/<ref>` of an accepted launch (its 303 names the page the launch lands on, under that prefix)."""
    assert response.status_code == 303, response.text[:500]
    return "/l/" + urlsplit(response.headers["Location"]).path.split("/")[2]


class Launcher:
    """Drives /lti/login and /lti/launch of the live tool like a browser would, without following redirects."""

    def __init__(self, tool_url: str, platform: FakePlatform):
        self.tool_url = tool_url
        self.platform = platform
        self.http = requests.Session()

    def login(self, **extra: str) -> Login:
        data = {
            "iss": self.platform.issuer, "login_hint": "4", "target_link_uri": self.tool_url + "/lti/launch",
            "client_id": self.platform.client_id, "lti_deployment_id": self.platform.deployment_id,
            "lti_message_hint": json.dumps({"cmid": 2, "launchid": "ltilaunch1_1"}),
            **extra,
        }
        response = requests.post(self.tool_url + "/lti/login", data=data, allow_redirects=False, timeout=10)
        if response.status_code != 302:
            return Login("", "", {}, response)
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return Login(query["state"][0], query["nonce"][0], dict(response.cookies), response)

    def post_launch(self, id_token: str | None, state: str | None, cookies: dict[str, str] | None = None,
                    **extra: str) -> requests.Response:
        data = {k: v for k, v in {"id_token": id_token, "state": state, **extra}.items() if v is not None}
        return requests.post(self.tool_url + "/lti/launch", data=data, cookies=cookies or {},
                             allow_redirects=False, timeout=10)

    def launch(self, fixture: str = "02_id_token_student_resource_link.json", **overrides: Any) -> requests.Response:
        """A complete login + launch with Moodle-shaped claims; overrides change claims."""
        login = self.login()
        token = self.platform.sign(self.platform.claims(login.nonce, fixture, **overrides))
        return self.post_launch(token, login.state, login.cookies)


TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


class RegisteringLms:
    """A platform that is not registered yet: serves its OpenID configuration and registration
    endpoint beside its key set, as Moodle's openid-configuration.php and openid-registration.php do."""

    def __init__(self, key_server: KeyServer, tool_url: str):
        self.platform = FakePlatform(key_server, tool_url)
        self.base = self.platform.issuer
        self.requests: list[dict[str, Any]] = []
        self.registration_status = 200
        captured = moodle_fixture("15_openid_configuration_and_dynamic_registration.json")
        self.configuration = copy.deepcopy(captured["openid_configuration"])
        self.configuration.update({
            "issuer": self.base, "authorization_endpoint": self.base + "/auth",
            "token_endpoint": self.base + "/token", "jwks_uri": self.platform.key_set_url,
            "registration_endpoint": self.base + "/register",
        })
        self.answer = copy.deepcopy(captured["registration_response"])
        self.answer["client_id"] = self.platform.client_id
        self.answer[TOOL_CONFIGURATION]["deployment_id"] = self.platform.deployment_id
        slug = urlsplit(self.base).path
        key_server.routes[slug + "/openid-configuration"] = self._configuration
        key_server.routes[slug + "/register"] = self._register

    @property
    def configuration_url(self) -> str:
        return self.base + "/openid-configuration"

    def _configuration(self, request: Request) -> Response:
        return Response(json.dumps(self.configuration), mimetype="application/json")

    def _register(self, request: Request) -> Response:
        self.requests.append({"authorization": request.headers.get("Authorization"),
                              "body": json.loads(request.get_data())})
        if self.registration_status != 200:
            return Response(json.dumps({"error": "invalid_client_metadata", "error_description": "no thanks"}),
                            status=self.registration_status, mimetype="application/json")
        return Response(json.dumps(self.answer), mimetype="application/json")
