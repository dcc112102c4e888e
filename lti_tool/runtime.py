"""Objects built once per process and shared by requests: state store, key caches, catalogue."""
from __future__ import annotations

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
    settings: Settings
    state_store: StateStore
    keysets: PlatformKeySets
    refs: LaunchRefs
    http: requests.Session
    catalogue: Any
    #: HTML that is the same for every learner, per language (learner/prerender.py)
    prerendered: Prerendered = field(default_factory=Prerendered)


def build_runtime(settings: Settings, catalogue: Any) -> Runtime:
    """Create the shared objects; nothing here touches the network."""
    # handed to pylti1p3's launch class, which needs one; every call to an LMS goes through lms/
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    return Runtime(
        settings=settings,
        state_store=open_state_store(settings.cache_url, settings.max_states),
        keysets=PlatformKeySets(settings.keyset_refetch_interval),
        refs=LaunchRefs(settings.secret_key, settings.launch_ttl),
        http=http,
        catalogue=catalogue,
    )


def runtime(app: Flask | None = None) -> Runtime:
    """The runtime of the current (or given) app."""
    return (app or current_app).extensions["emm"]
