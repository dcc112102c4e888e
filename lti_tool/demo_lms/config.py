"""Settings of one demo LMS, checked once when it is built and read-only afterwards."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .course import DEFAULT_PLACEMENTS, PlacementSeed


class DemoLmsConfigError(ValueError):
    """A setting of the demo LMS is unusable; the demo refuses to start with this message."""


def is_loopback_host(host: str | None) -> bool:
    """True for localhost and loopback addresses: the demo LMS has no login and must never face a network."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin_url(name: str, url: str, *, loopback: bool) -> str:
    """Normalise a base URL without trailing slash; refuse paths, queries and non-HTTP schemes."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DemoLmsConfigError(f"{name} must be an http(s) URL with a host, got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise DemoLmsConfigError(f"{name} must be a bare origin such as http://127.0.0.1:5001, got {url!r}")
    if loopback and not is_loopback_host(parts.hostname):
        raise DemoLmsConfigError(
            f"{name} host {parts.hostname!r} is not a loopback address: the demo LMS has no login "
            "and only runs on 127.0.0.1, ::1 or localhost"
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class DemoLmsConfig:
    """Where the demo LMS and the tool live, and the registration they share."""

    #: the platform's own origin, also its issuer; must be loopback
    base_url: str
    #: the tool's origin; its LTI endpoints default to /lti/login, /lti/launch and /.well-known/jwks.json
    tool_base_url: str
    #: folder for the platform's private key (the only state kept across restarts)
    state_dir: Path
    client_id: str = "emm-lti-demo"
    deployment_id: str = "1"
    name: str = "Demo LMS"
    tool_login_url: str = ""
    tool_launch_url: str = ""
    tool_jwks_url: str = ""
    #: the tool's registered redirect URIs; defaults to its launch URL
    redirect_uris: tuple[str, ...] = ()
    #: the course's placements at start; edit DEFAULT_PLACEMENTS in course.py or pass your own
    placements: tuple[PlacementSeed, ...] = field(default=DEFAULT_PLACEMENTS)
    #: default of the launch switch: send lti_storage_target (off = "Moodle mode")
    platform_storage: bool = True
    #: Moodle's id_tokens live 60 s
    id_token_lifetime: int = 60
    #: Moodle's access tokens live 3600 s
    token_lifetime: int = 3600
    #: seconds of clock skew accepted on JWTs the tool signs
    clock_leeway: int = 30
    #: seconds for every outbound HTTP call (the tool's JWKS)
    http_timeout: float = 5.0

    def __post_init__(self) -> None:
        base = _origin_url("base_url", self.base_url, loopback=True)
        tool = _origin_url("tool_base_url", self.tool_base_url, loopback=False)
        object.__setattr__(self, "base_url", base)
        object.__setattr__(self, "tool_base_url", tool)
        object.__setattr__(self, "state_dir", Path(self.state_dir))
        object.__setattr__(self, "tool_login_url", self.tool_login_url or f"{tool}/lti/login")
        object.__setattr__(self, "tool_launch_url", self.tool_launch_url or f"{tool}/lti/launch")
        object.__setattr__(self, "tool_jwks_url", self.tool_jwks_url or f"{tool}/.well-known/jwks.json")
        object.__setattr__(self, "redirect_uris", tuple(self.redirect_uris) or (self.tool_launch_url,))
        object.__setattr__(self, "placements", tuple(self.placements))
        if not self.client_id or not self.deployment_id:
            raise DemoLmsConfigError("client_id and deployment_id must not be empty")
        if self.id_token_lifetime <= 0 or self.token_lifetime <= 0 or self.http_timeout <= 0:
            raise DemoLmsConfigError("lifetimes and http_timeout must be positive")

    @property
    def issuer(self) -> str:
        """The platform issuer is its base URL, as Moodle's is its wwwroot."""
        return self.base_url

    @property
    def tool_origin(self) -> str:
        """Origin of the page the tool shows in the iframe: the only origin platform storage answers."""
        parts = urlsplit(self.tool_launch_url)
        return f"{parts.scheme}://{parts.netloc}"
