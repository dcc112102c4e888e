"""Objects built once per process and shared by requests: state store, key caches, catalogue."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app

from .config import Settings
from .lti.keysets import PlatformKeySets
from .lti.launch_ref import LaunchRefs
from .state_store import StateStore, open_state_store

USER_AGENT = "emm-lti/0.1 (+LTI 1.3 tool)"


@dataclass
class Runtime:
    settings: Settings
    state_store: StateStore
    keysets: PlatformKeySets
    refs: LaunchRefs
    http: requests.Session
    catalogue: Any


def build_runtime(settings: Settings, catalogue: Any) -> Runtime:
    """Create the shared objects; nothing here touches the network."""
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT  # Canvas asks every service call to send one
    return Runtime(
        settings=settings,
        state_store=open_state_store(settings.cache_url),
        keysets=PlatformKeySets(http, settings.keyset_refetch_interval),
        refs=LaunchRefs(settings.secret_key, settings.launch_ttl),
        http=http,
        catalogue=catalogue,
    )


def runtime(app: Flask | None = None) -> Runtime:
    """The runtime of the current (or given) app."""
    return (app or current_app).extensions["emm"]
