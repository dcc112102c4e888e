"""The one HTTP client that reaches an LMS: requests, with the seam's rules built into its connections.

For every request:
- the URL must pass the platform's HostPolicy (its hosts, https except on loopback);
- the host is resolved here and each address checked (no private, link-local or loopback address
  unless the platform itself lives on one); the socket connects to the address that was checked,
  so a DNS answer cannot change between the check and the connection;
- redirects are never followed (an https host could send the tool to an internal http one);
- a total deadline bounds the whole exchange, every socket read and write included, so an LMS that
  drips one byte a second cannot hold a thread (requests' own timeout is per read);
- the answer is read up to a size cap and no further;
- proxies and .netrc from the environment are ignored (`trust_env = False`).
"""
from __future__ import annotations

import io
import ipaddress
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import requests
from requests.adapters import HTTPAdapter
from requests.utils import parse_header_links
import urllib3.exceptions
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import ForbiddenUrl, PlatformRejected, PlatformUnavailable
from .hosts import HostPolicy, address_kind

log = logging.getLogger(__name__)

USER_AGENT = "emm-lti/0.1 (+LTI 1.3 tool)"
#: seconds to open a connection; seconds a whole request may take unless the caller says otherwise
CONNECT_TIMEOUT = 5.0
DEADLINE = 20.0
#: the largest answer read unless the caller says otherwise
DEFAULT_LIMIT = 1024 * 1024
_CHUNK = 64 * 1024


class _Guard(threading.local):
    """The rules of the request this thread is making (connections are per thread)."""

    deadline: float | None = None
    policy: HostPolicy | None = None
    blocked: str | None = None


_guard = _Guard()


class DeadlineExceeded(socket.timeout):
    """The request's total deadline passed."""


class BlockedAddress(Exception):
    """The host resolved only to addresses this platform may not reach (no connection was made)."""


def _remaining(timeout: float | None) -> float | None:
    deadline = _guard.deadline
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineSocket:
    """A socket whose every read and write waits at most until the request's deadline.

    http.client reads through `makefile`, so that is implemented here (with the socket module's
    own reference counting, so a response can outlive its connection's close as usual).
    """

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._timeout = sock.gettimeout()
        self._io_refs = 0
        self._closed = False

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        self._sock.settimeout(_remaining(self._timeout))

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def send(self, *args: Any) -> int:
        self._arm()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._arm()
        return self._sock.sendall(*args)

    def makefile(self, mode: str = "rb", buffering: int = -1, **_kwargs: Any) -> Any:
        self._io_refs += 1
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return raw if buffering == 0 else io.BufferedReader(raw, io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _connect(conn: HTTPConnection, *, plain_http: bool) -> socket.socket:
    """Resolve, check every address against the request's policy, connect to one that passed."""
    policy = _guard.policy
    host = conn._dns_host.strip("[]")  # noqa: SLF001 - the name urllib3 itself resolves
    try:
        infos = socket.getaddrinfo(host, conn.port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise requests.ConnectionError(f"cannot resolve {host}: {exc}") from None
    refused: list[str] = []
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        category = address_kind(address)
        if (policy is None and category != "public") or (policy is not None and not policy.allowed_kinds(category)) \
                or (plain_http and category != "loopback"):
            refused.append(f"{address} ({category})")
            continue
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(_remaining(conn.timeout if isinstance(conn.timeout, (int, float)) else None))
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
            if isinstance(exc, DeadlineExceeded):
                raise
    if last_error is not None:
        raise last_error
    _guard.blocked = f"{host} resolves to {', '.join(refused)}"
    raise BlockedAddress(_guard.blocked)


class _Guarded:
    """Mixed into urllib3's connections: our resolution and address check, then the deadline socket."""

    plain_http = True

    def _new_conn(self) -> socket.socket:
        return _connect(self, plain_http=self.plain_http)  # type: ignore[arg-type]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock = _DeadlineSocket(self.sock)  # type: ignore[attr-defined]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    plain_http = True


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    plain_http = False


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


_local = threading.local()


def thread_session() -> requests.Session:
    """One keep-alive session per thread: connections are reused, sessions are not shared."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False  # no proxy or .netrc from the environment
        session.headers["User-Agent"] = USER_AGENT  # Canvas asks every service call to send one
        session.headers["Accept-Encoding"] = "identity"  # the size cap counts what the LMS sends
        adapter = _GuardedAdapter(pool_connections=8, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Answer:
    """An LMS's answer, read whole (within the cap)."""

    url: str
    status: int
    #: the reason phrase of the status line, as sent (Moodle puts its refusal there)
    reason: str
    headers: Mapping[str, str]
    body: bytes
    links: dict[str, str] = field(default_factory=dict)

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise PlatformRejected(f"the LMS's answer to {what} is not JSON", status=self.status) from None


def fetch(method: str, url: str, policy: HostPolicy, *, what: str, limit: int = DEFAULT_LIMIT,
          deadline: float = DEADLINE, headers: Mapping[str, str] | None = None, data: Any = None,
          params: Mapping[str, Any] | None = None) -> Answer:
    """Make one request under the seam's rules and read its answer (whatever its status).

    Raises ForbiddenUrl before anything is sent when the URL or its addresses break a rule,
    PlatformUnavailable when the LMS cannot be reached or misses the deadline, PlatformRejected
    for a redirect or an answer larger than `limit`.
    """
    policy.check(url, what)
    session = thread_session()
    _guard.deadline, _guard.policy, _guard.blocked = time.monotonic() + deadline, policy, None
    try:
        with session.request(method, url, headers=dict(headers or {}), data=data, params=params,
                             timeout=(CONNECT_TIMEOUT, deadline), stream=True, allow_redirects=False) as response:
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = response.raw.read1(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise PlatformRejected(f"the LMS's answer to {what} is larger than {limit // 1024} KB; "
                                           "the tool stopped reading it", status=response.status_code)
                chunks.append(chunk)
            answer = Answer(url, response.status_code, response.reason or "", dict(response.headers),
                            b"".join(chunks), _links(response.headers.get("Link")))
    except BlockedAddress:
        raise ForbiddenUrl(f"the URL for {what} resolves to an address the tool does not call for "
                           f"{policy.label} ({_guard.blocked})") from None
    except PlatformRejected:
        raise
    except (DeadlineExceeded, requests.Timeout, urllib3.exceptions.TimeoutError):
        raise PlatformUnavailable(f"the LMS did not answer {what} within {deadline:g} s") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        if "deadline" in str(exc):
            raise PlatformUnavailable(f"the LMS did not answer {what} within {deadline:g} s") from None
        raise PlatformUnavailable(f"cannot reach the LMS for {what} ({type(exc).__name__})") from None
    except OSError as exc:
        if isinstance(exc, socket.timeout):
            raise PlatformUnavailable(f"the LMS did not answer {what} within {deadline:g} s") from None
        raise PlatformUnavailable(f"cannot reach the LMS for {what} ({type(exc).__name__})") from None
    finally:
        _guard.deadline, _guard.policy = None, None
    if 300 <= answer.status < 400:
        raise PlatformRejected(f"the LMS answered {what} with a redirect (HTTP {answer.status}), "
                               "which the tool does not follow", status=answer.status)
    return answer


def _links(value: str | None) -> dict[str, str]:
    """`Link` header as {rel: url}."""
    if not value:
        return {}
    links: dict[str, str] = {}
    for link in parse_header_links(value):
        rel, target = link.get("rel"), link.get("url")
        if rel and target:
            links.setdefault(rel, target)
    return links
