"""Objects built once per process and shared by requests: state store, key caches, catalogue."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, current_app

from .config import Settings
from .learner.prerender import Prerendered
from .lti.launch_ref import LaunchRefs
from .lms.keysets import PlatformKeySets
from .lms.transport import USER_AGENT
from .state_store import StateStore, open_state_store


@dataclass
class Runtime:
    """The per-app shared objects. The curriculum and the state store are built on first use (a lock
    makes threads wait for the one build): commands that need neither do not pay for them, and reading
    settings never creates the cache file."""

    settings: Settings
    keysets: PlatformKeySets
    refs: LaunchRefs
    http: requests.Session
    _catalogue: Any = None
    _state_store: StateStore | None = None
    #: HTML that is the same for every learner, per language (learner/prerender.py)
    prerendered: Prerendered = field(default_factory=Prerendered)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def catalogue(self) -> Any:
        """The curriculum (`content.Catalogue`), loaded and checked once."""
        if self._catalogue is None:
            with self._lock:
                if self._catalogue is None:
                    from . import paths
                    from .content.catalogue import load_catalogue

                    self._catalogue = load_catalogue(self.settings.modules_path or paths.modules_dir())
        return self._catalogue

    @property
    def state_store(self) -> StateStore:
        """Where OIDC states and cached rosters live (EMM_CACHE_URL), opened once."""
        if self._state_store is None:
            with self._lock:
                if self._state_store is None:
                    self._state_store = open_state_store(self.settings.cache_url, self.settings.max_states)
        return self._state_store


def warm_up(app: Flask) -> None:
    """Load the curriculum and open the launch-state store now, before a server takes requests: the
    first learner does not wait for them, /readyz answers from the start, and a broken curriculum
    stops the server here. `serve` (each web worker) and `demo` call it; commands do not."""
    shared = runtime(app)
    shared.catalogue  # noqa: B018 - the property loads it
    shared.state_store  # noqa: B018 - the property opens it


def build_runtime(settings: Settings) -> Runtime:
    """Create the shared objects; nothing here touches the network or the disk."""
    # handed to pylti1p3's launch class, which needs one; every call to an LMS goes through lms/
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    return Runtime(
        settings=settings,
        keysets=PlatformKeySets(settings.keyset_refetch_interval),
        refs=LaunchRefs(settings.secret_key, settings.launch_ttl),
        http=http,
    )


def runtime(app: Flask | None = None) -> Runtime:
    """The runtime of the current (or given) app."""
    return (app or current_app).extensions["emm"]
