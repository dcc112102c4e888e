"""One place for configuration: read from the environment once, checked, then read-only.

Every setting has a safe default so `emm-lti demo` runs on a fresh machine; production overrides
them through environment variables (12-factor). Secrets are never written to the repository or logs.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger(__name__)

ENV_PREFIX = "EMM_"


class ConfigError(ValueError):
    """A setting is missing or malformed; startup stops with this message."""


@dataclass(frozen=True)
class Settings:
    """Typed, immutable settings. Field names map to EMM_<NAME> environment variables."""

    instance_path: Path
    database_url: str
    secret_key: str
    cache_url: str
    modules_path: Path | None = None
    #: seconds of clock skew accepted on iat/exp/nbf: Moodle id_tokens live only 60 s
    clock_leeway: int = 30
    #: lifetime of the signed launch reference carried in links and forms
    launch_ttl: int = 4 * 3600
    #: lifetime of OIDC state between login and launch
    state_ttl: int = 600
    #: minimum seconds between two key-set re-fetches for one platform (unknown kid)
    keyset_refetch_interval: int = 30
    #: largest id_token accepted, in bytes
    max_id_token_bytes: int = 16_384
    #: run the grade delivery worker inside the web process (embedded default)
    embedded_worker: bool = True
    #: first retry delay of a grade delivery, doubled each try (with jitter) up to the cap
    grade_retry_base: float = 2.0
    grade_retry_cap: float = 3600.0
    #: seconds a fetched course roster (NRPS) is reused
    roster_ttl: int = 300
    #: erase a participant's data this many days after their last launch (0: keep it)
    retention_days: int = 0
    #: seconds a staff launch opens staff pages (a demoted facilitator loses them within this time)
    staff_ttl: int = 900
    #: the most launch states (logins under way) the file store keeps; a flood evicts the oldest
    max_states: int = 100_000
    #: seconds a grade worker holds the scores it claimed; a worker that dies mid-delivery frees them after this
    grade_lease: float = 120.0
    #: another Jinja templates folder (a copy of the shipped one, edited)
    templates_path: Path | None = None
    log_level: str = "INFO"
    #: "text" for people, "json" for a log collector (one object a line, with the request id)
    log_format: str = "text"
    #: gunicorn's access log: a file, or "-" for standard output; none by default
    access_log: str | None = None
    #: addresses of the reverse proxies whose X-Forwarded-* headers are trusted (gunicorn)
    forwarded_allow_ips: str = "127.0.0.1,::1"
    #: Prometheus metrics at /metrics; needs metrics_token
    metrics: bool = False
    #: the bearer token a scraper must send to /metrics (and to `emm-lti worker --metrics-port`)
    metrics_token: str | None = None
    #: seconds /readyz waits for the database and the launch-state store before calling them down
    ready_timeout: float = 1.0
    #: countries every report lists, with 0 when they have nothing yet (the rollout's)
    rollout_countries: tuple[str, ...] = ("AG", "GD", "VC")
    #: IANA time zone for times shown when the LMS sends none for the person
    display_timezone: str = "America/St_Vincent"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Build settings from EMM_* variables, with keyword overrides winning (tests use these)."""
        env = dict(os.environ if env is None else env)
        known = {f.name for f in fields(cls)}
        for key in env:
            if (key.startswith(ENV_PREFIX) and not key.startswith(_TEST_PREFIX)
                    and key[len(ENV_PREFIX):].lower() not in known - {"extra"}):
                log.warning("unknown setting %s is ignored", key)

        def get(name: str, default: Any = None) -> Any:
            if name in overrides:
                return overrides[name]
            return env.get(ENV_PREFIX + name.upper(), default)

        instance_path = Path(get("instance_path") or Path.cwd() / "instance").expanduser().resolve()
        private_folder(instance_path)
        database_url = get("database_url") or f"sqlite:///{instance_path / 'emm-lti.sqlite3'}"
        if database_url.startswith("postgres://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        cache_url = get("cache_url") or f"file://{instance_path / 'cache'}"
        if not cache_url.startswith(("file://", "redis://", "rediss://")):
            raise ConfigError(f"EMM_CACHE_URL must start with file:// or redis://, got {cache_url!r}")
        modules_path = get("modules_path")
        templates_path = get("templates_path")
        metrics = _bool(get("metrics", False))
        metrics_token = get("metrics_token") or None
        if metrics and (metrics_token is None or len(str(metrics_token)) < 24):
            raise ConfigError("EMM_METRICS is on: set EMM_METRICS_TOKEN to a random token of at least 24 "
                              "characters (e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`); "
                              "the metrics are never served without one")
        secret_key = get("secret_key") or _load_or_create_secret(instance_path)
        for name, value in (("SECRET_KEY", secret_key), ("DATABASE_URL", database_url), ("METRICS_TOKEN", metrics_token)):
            if value and PLACEHOLDER in str(value):
                raise ConfigError(f"EMM_{name} still holds the example's {PLACEHOLDER}: set a real value")
        if len(str(secret_key).encode()) < MIN_SECRET_BYTES:
            raise ConfigError(f"EMM_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long (it signs launch "
                              "references and CSRF tokens); generate one with `python3 -c 'import secrets; "
                              "print(secrets.token_urlsafe(48))'`")
        return cls(
            instance_path=instance_path,
            database_url=database_url,
            secret_key=secret_key,
            cache_url=cache_url,
            modules_path=Path(modules_path).resolve() if modules_path else None,
            clock_leeway=_int(get, "clock_leeway", 30, 0, 300),
            launch_ttl=_int(get, "launch_ttl", 4 * 3600, 60, 7 * 86400),
            state_ttl=_int(get, "state_ttl", 600, 30, 3600),
            keyset_refetch_interval=_int(get, "keyset_refetch_interval", 30, 0, 3600),
            max_id_token_bytes=_int(get, "max_id_token_bytes", 16_384, 1024, 1_048_576),
            embedded_worker=_bool(get("embedded_worker", True)),
            grade_retry_base=_float(get, "grade_retry_base", 2.0, 0.01, 600),
            grade_retry_cap=_float(get, "grade_retry_cap", 3600.0, 0.05, 86400),
            roster_ttl=_int(get, "roster_ttl", 300, 0, 86400),
            retention_days=_int(get, "retention_days", 0, 0, 36500),
            staff_ttl=_int(get, "staff_ttl", 900, 60, 7 * 86400),
            max_states=_int(get, "max_states", 100_000, 1000, 10_000_000),
            grade_lease=_float(get, "grade_lease", 120.0, 1, 3600),
            templates_path=Path(templates_path).expanduser().resolve() if templates_path else None,
            log_level=_choice(get, "log_level", "INFO", LOG_LEVELS, upper=True),
            log_format=_choice(get, "log_format", "text", ("text", "json")),
            access_log=_access_log(get("access_log")),
            forwarded_allow_ips=_networks(get("forwarded_allow_ips", "127.0.0.1,::1")),
            metrics=metrics,
            metrics_token=metrics_token,
            ready_timeout=_float(get, "ready_timeout", 1.0, 0.1, 30),
            rollout_countries=_countries(get("rollout_countries", "AG,GD,VC")),
            display_timezone=_timezone(get("display_timezone", "America/St_Vincent")),
            extra=overrides.get("extra", {}),
        )

    def flask_config(self) -> dict[str, Any]:
        """The subset Flask and its extensions read, under their own names."""
        # pre-ping: a connection that died with a database restart is replaced, not handed to a request;
        # connect_timeout: a database host that does not answer fails the request in seconds (a 503)
        engine_options: dict[str, Any] = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
        if self.database_url.startswith("sqlite"):
            engine_options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "SQLALCHEMY_TRACK_MODIFICATIONS": False,
            "MAX_CONTENT_LENGTH": 256 * 1024,
            "SESSION_COOKIE_SECURE": True,
            "SESSION_COOKIE_SAMESITE": "None",
            "BABEL_DEFAULT_LOCALE": "en",
            "EMM": self,
            **dict(self.extra),
        }

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to print: the secret and database password are masked."""
        data = asdict(self)
        data["secret_key"] = "***"
        data["metrics_token"] = "***" if self.metrics_token else None
        data["database_url"] = _mask_password(self.database_url)
        return data


#: the shortest EMM_SECRET_KEY accepted: it signs bearer launch references
MIN_SECRET_BYTES = 32


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) readable by this user only; tighten it if others can read it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            os.chmod(path, 0o700)
            log.warning("%s was readable by other users; it is now 0700", path)
    except OSError:
        log.warning("cannot make %s private (0700)", path)
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists as a file only this user can read and write (0600): SQLite then gives its
    -wal and -shm files the same mode. An existing file others can read is tightened, with a warning."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        return path
    except FileExistsError:
        pass
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if each.exists() and each.stat().st_mode & 0o077 and each.stat().st_uid == os.getuid():
                os.chmod(each, 0o600)
                log.warning("%s was readable by other users; it is now 0600", each)
        except OSError:
            log.warning("cannot make %s private (0600)", each)
    return path


def _access_log(raw: Any) -> str | None:
    value = (str(raw).strip() if raw is not None else "") or None
    if value and value != "-" and any(ord(ch) < 32 for ch in value):
        raise ConfigError(f"EMM_ACCESS_LOG must be a file path or '-', got {value!r}")
    return value



#: variables the test suite reads (EMM_TEST_DATABASE_URL, EMM_TEST_REDIS_URL …); not settings of the tool
_TEST_PREFIX = ENV_PREFIX + "TEST_"
#: what config/.env.example writes where a real value must go
PLACEHOLDER = "CHANGE-ME"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def setting_names() -> list[str]:
    """Every EMM_* variable the tool reads, in declaration order (config/.env.example lists exactly these)."""
    return [ENV_PREFIX + f.name.upper() for f in fields(Settings) if f.name != "extra"]


def log_options(env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """EMM_LOG_LEVEL and EMM_LOG_FORMAT alone, for configuring logging before the app exists; a bad
    value falls back to the default here (building the Settings then names it)."""
    env = os.environ if env is None else env
    get = lambda name, default=None: env.get(ENV_PREFIX + name.upper(), default)  # noqa: E731
    try:
        level = _choice(get, "log_level", "INFO", LOG_LEVELS, upper=True)
    except ConfigError:
        level = "INFO"
    try:
        log_format = _choice(get, "log_format", "text", ("text", "json"))
    except ConfigError:
        log_format = "text"
    return level, log_format


def _choice(get: Any, name: str, default: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
    raw = str(get(name, default)).strip()
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise ConfigError(f"EMM_{name.upper()} must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def _networks(raw: Any) -> str:
    """A comma-separated list of proxy addresses or networks, or "*" (gunicorn's forwarded_allow_ips)."""
    text = str(raw).strip()
    if text == "*":
        return text
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ConfigError("EMM_FORWARDED_ALLOW_IPS must name at least one address (or *)")
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"EMM_FORWARDED_ALLOW_IPS: {item!r} is not an IP address or network") from None
    return ",".join(items)


def _countries(raw: Any) -> tuple[str, ...]:
    """Comma-separated ISO 3166-1 alpha-2 codes, upper-cased, each once, in the order given."""
    from .countries import InvalidCountry, normalize_country

    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    codes: list[str] = []
    for item in items:
        try:
            code = normalize_country(str(item))
        except InvalidCountry:
            raise ConfigError(f"EMM_ROLLOUT_COUNTRIES: {str(item).strip()!r} is not an ISO 3166-1 alpha-2 "
                              "country code (e.g. AG,GD,VC)") from None
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def _timezone(raw: Any) -> str:
    """An IANA time zone name that this machine's zone database knows."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = str(raw).strip()
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"EMM_DISPLAY_TIMEZONE must be an IANA time zone such as America/St_Vincent, "
                          f"got {name!r}") from None
    return name


def _int(get: Any, name: str, default: int, low: int, high: int) -> int:
    raw = get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"EMM_{name.upper()} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"EMM_{name.upper()} must be between {low} and {high}, got {value}")
    return value


def _float(get: Any, name: str, default: float, low: float, high: float) -> float:
    raw = get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"EMM_{name.upper()} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"EMM_{name.upper()} must be between {low} and {high}, got {value}")
    return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in {"1", "true", "yes", "on"}


def _load_or_create_secret(instance_path: Path) -> str:
    """Keep a generated secret in the instance folder so restarts keep launch references valid."""
    path = instance_path / "secret_key"
    if path.exists():
        private_file(path)
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    log.info("generated a new secret key in %s", path)
    return secret


def _mask_password(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
