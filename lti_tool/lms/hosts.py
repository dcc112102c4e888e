"""Which hosts belong to a platform, and which addresses the tool may connect to for it.

A launch's claims (AGS line items, the NRPS roster URL) and the LMS's own answers (`Link: next`,
line-item ids) name URLs; the platform signed them, but a compromised or malicious LMS could point
them anywhere. The tool only calls URLs whose host (and port) is one of the platform's: the hosts
of its registered URLs (issuer, login, token, key set) and the service hosts an operator added for
it (`emm-lti platform add|edit --service-host`, for LMSs such as Canvas whose services live on the
institution's domain).

Addresses: a host may resolve anywhere. The tool connects only to public addresses, unless the
platform itself was registered on a loopback, private or link-local one (a development LMS, an
intranet Moodle): then that kind of address is allowed for it too. Unspecified and multicast
addresses never are.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from .errors import ForbiddenUrl

LOOPBACK, PRIVATE, LINK_LOCAL, PUBLIC, NEVER = "loopback", "private", "link-local", "public", "never"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_kind(address: IPAddress) -> str:
    """Sort an address into the kinds the seam's rules speak of."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        return NEVER
    if address.is_loopback:
        return LOOPBACK
    if address.is_link_local:
        return LINK_LOCAL
    if not address.is_global:
        return PRIVATE
    return PUBLIC


def is_loopback_name(host: str | None) -> bool:
    """localhost, *.localhost and loopback literals: where plain http is acceptable (development)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def host_port(url: str) -> tuple[str, int] | None:
    """(lower-case host, port with the scheme's default) of an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), port or _default_port(parts.scheme)


def parse_service_host(value: str) -> tuple[str, int]:
    """`host` or `host:port` (https's 443 by default), as an operator types it; ValueError if not."""
    text = (value or "").strip().lower().rstrip(".")
    if not text or "/" in text or "@" in text or any(ord(ch) < 33 for ch in text):
        raise ValueError(f"{value!r} is not a host name (give host or host:port, no scheme or path)")
    found = host_port("https://" + text)
    if found is None:
        raise ValueError(f"{value!r} is not a host name (give host or host:port, no scheme or path)")
    return found


class _Resolved:
    """What the platform's own host names resolve to, kept a few minutes (it only matters when a
    service URL resolves to a non-public address)."""

    TTL = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, tuple[float, frozenset[str]]] = {}

    def kinds(self, host: str) -> frozenset[str]:
        now = time.monotonic()
        hit = self._kinds.get(host)
        if hit and now - hit[0] < self.TTL:
            return hit[1]
        try:
            kinds = frozenset({_literal_kind(host)})
        except ValueError:
            try:
                infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
                kinds = frozenset(address_kind(ipaddress.ip_address(info[4][0])) for info in infos)
            except (OSError, UnicodeError, ValueError):
                kinds = frozenset()
        with self._lock:
            self._kinds[host] = (now, kinds)
        return kinds


def _literal_kind(host: str) -> str:
    if host == "localhost" or host.endswith(".localhost"):
        return LOOPBACK
    return address_kind(ipaddress.ip_address(host.strip("[]")))


_resolved = _Resolved()


@dataclass(frozen=True)
class HostPolicy:
    """The hosts one platform's URLs may name, and the kinds of address it may reach."""

    #: the platform's name, for messages
    label: str
    #: (host, port) pairs the tool may call
    hosts: frozenset[tuple[str, int]]
    #: the hosts the platform itself was registered on (their addresses decide which kinds are allowed)
    own_hosts: tuple[str, ...]
    #: when set, exactly the non-public kinds allowed (dynamic registration decides them itself)
    kinds: frozenset[str] | None = None

    @classmethod
    def for_urls(cls, label: str, registered: Iterable[str | None], service_hosts: Iterable[str] = ()) -> "HostPolicy":
        """From the platform's registered URLs and the operator's extra service hosts."""
        own = [hp for hp in (host_port(url) for url in registered if url) if hp is not None]
        extra = []
        for value in service_hosts or ():
            try:
                extra.append(parse_service_host(value))
            except ValueError:
                continue  # validated when it was stored; a bad one adds nothing
        return cls(label, frozenset(own + extra), tuple(dict.fromkeys(host for host, _port in own)))

    @classmethod
    def for_platform(cls, platform: object) -> "HostPolicy":
        """For a Platform row (or anything with its URL attributes)."""
        return cls.for_urls(
            getattr(platform, "name", "") or getattr(platform, "issuer", ""),
            (getattr(platform, name, None) for name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url")),
            getattr(platform, "service_hosts", None) or (),
        )

    def check(self, url: str, what: str) -> str:
        """The URL if the tool may call it for this platform; ForbiddenUrl (naming `what`) if not."""
        if not isinstance(url, str) or not url:
            raise ForbiddenUrl(f"the LMS gave no URL for {what}")
        parts = urlsplit(url)
        found = host_port(url)
        if found is None:
            raise ForbiddenUrl(f"the URL for {what} is not an absolute http(s) URL")
        if parts.scheme != "https" and not is_loopback_name(found[0]):
            raise ForbiddenUrl(f"the URL for {what} uses plain http on {found[0]}; "
                               "only https is allowed (plain http only on loopback)")
        if parts.username or parts.password:
            raise ForbiddenUrl(f"the URL for {what} carries a user name or password")
        if found not in self.hosts:
            raise ForbiddenUrl(
                f"the URL for {what} names host {found[0]}:{found[1]}, which is not one of "
                f"{self.label}'s registered hosts (an operator can add it with "
                "`emm-lti platform edit --service-host`)")
        return url

    def allowed_kinds(self, wanted: str) -> bool:
        """May this platform's requests reach an address of kind `wanted`?"""
        if wanted == PUBLIC:
            return True
        if wanted == NEVER:
            return False
        if self.kinds is not None:
            return wanted in self.kinds
        return any(wanted in _resolved.kinds(host) for host in self.own_hosts)
