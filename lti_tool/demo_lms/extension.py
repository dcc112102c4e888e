"""The demo LMS object stored in app.extensions["demo_lms"]: the Python API tests and the CLI use."""
from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from .claims import DEEP_LINKING_REQUEST, RESOURCE_LINK_REQUEST
from .config import DemoLmsConfig
from .course import COURSE, LOCALES, User
from .keys import PlatformKey
from .state import DemoState, LaunchIntent, Placement, Switches
from .tool_keys import ToolKeySet
from .urls import Urls

log = logging.getLogger(__name__)

DOCUMENT_TARGETS = ("iframe", "window")


class LaunchRefused(ValueError):
    """A launch the course page cannot start (unknown user or placement, learner deep linking)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class DemoLms:
    """One platform: its key, its course state, and the tool registration it serves."""

    def __init__(self, cfg: DemoLmsConfig) -> None:
        self.cfg = cfg
        self.key = PlatformKey(cfg.state_dir)
        self.state = DemoState()
        self.state.switches.moodle_mode = not cfg.platform_storage
        self.state.seed(cfg.placements)
        self.urls = Urls(cfg.base_url, COURSE.id)
        self.tool_keys = ToolKeySet(cfg.tool_jwks_url, timeout=cfg.http_timeout, on_fetch=self._count_jwks_fetch)

    def _count_jwks_fetch(self) -> None:
        self.count("tool_jwks_fetches")

    # -- registration and keys ------------------------------------------------------------------

    def registration_values(self) -> dict[str, Any]:
        """What the tool needs to register this platform (the values an admin would paste)."""
        return {
            "issuer": self.cfg.issuer,
            "client_id": self.cfg.client_id,
            "deployment_ids": [self.cfg.deployment_id],
            "auth_login_url": self.urls.auth,
            "auth_token_url": self.urls.token,
            "key_set_url": self.urls.jwks,
            "name": self.cfg.name,
        }

    def rotate_key(self) -> str:
        """Replace the platform key; the old kid leaves the JWKS at once. Returns the new kid."""
        return self.key.rotate()

    # -- switches and stats ---------------------------------------------------------------------

    @property
    def switches(self) -> Switches:
        with self.state.lock:
            return dataclasses.replace(self.state.switches)

    def set_switches(self, **changes: Any) -> Switches:
        """Change some failure switches (see state.Switches); unknown names or bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(Switches)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown switch(es): {', '.join(sorted(unknown))}")
        with self.state.lock:
            updated = dataclasses.replace(self.state.switches, **changes).validated()
            self.state.switches = updated
            if "score_fail_percent" in changes:
                self.state.fail_accumulator = 0
        log.info("demo LMS switches now %s", updated)
        return dataclasses.replace(updated)

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start: token_requests, score_posts, id_tokens, tool_jwks_fetches, ..."""
        with self.state.lock:
            return dict(self.state.stats)

    def count(self, name: str, n: int = 1) -> None:
        with self.state.lock:
            self.state.stats[name] += n

    # -- course ---------------------------------------------------------------------------------

    def user(self, sub: str) -> User:
        try:
            return self.state.users[sub]
        except KeyError:
            raise LaunchRefused(f"there is no user {sub!r} in this course") from None

    def placement(self, placement_id: str) -> Placement:
        with self.state.lock:
            try:
                return self.state.placements[placement_id]
            except KeyError:
                raise LaunchRefused(f"there is no placement {placement_id!r} in this course") from None

    def add_placement(self, module: str, title: str, *, country: str | None = None) -> Placement:
        """Add a placement with a 100-point grade column, as a teacher adding an activity would."""
        custom = {"module": module, **({"country": country} if country else {})}
        return self.state.add_placement(title, custom, line_item={"label": title, "score_maximum": 100.0})

    def login_url(self, user_sub: str, placement_id: str | None = None, **options: Any) -> str:
        """The tool's OIDC login-initiation URL for one launch (what the iframe's src points at).

        Options as for `login_params`: deep_link, document_target, locale, platform_storage.
        """
        return f"{self.cfg.tool_login_url}?{urlencode(self.login_params(user_sub, placement_id, **options))}"

    def login_params(
        self,
        user_sub: str,
        placement_id: str | None = None,
        *,
        deep_link: bool = False,
        document_target: str = "iframe",
        locale: str | None = None,
        platform_storage: bool | None = None,
    ) -> dict[str, str]:
        """The OIDC login initiation for one new launch, as Moodle sends it (fixture 01).

        Each call starts a launch of its own: its `lti_message_hint` is good for one authentication
        request, as in Moodle.
        """
        user = self.user(user_sub)
        if deep_link:
            if not user.can_deep_link:
                raise LaunchRefused(
                    f"{user.name} is a learner: only facilitators and admins add modules", status=403
                )
            placement_id = None
        elif placement_id is None:
            raise LaunchRefused("choose a placement to launch")
        else:
            self.placement(placement_id)
        if document_target not in DOCUMENT_TARGETS:
            raise LaunchRefused(f"document_target must be one of {', '.join(DOCUMENT_TARGETS)}")
        locale = locale or user.locale
        if locale not in dict(LOCALES):
            raise LaunchRefused(f"unknown locale {locale!r}")
        if platform_storage is None:
            platform_storage = not self.switches.moodle_mode
        # A new window has no parent frame to store data in.
        platform_storage = platform_storage and document_target == "iframe"
        intent = LaunchIntent(
            user_sub=user.sub,
            placement_id=placement_id,
            message_type=DEEP_LINKING_REQUEST if deep_link else RESOURCE_LINK_REQUEST,
            document_target=document_target,
            locale=locale,
            message_hint=_message_hint(placement_id),
        )
        login_hint = self.state.remember_intent(intent)
        params = {
            "iss": self.cfg.issuer,
            "login_hint": login_hint,
            "target_link_uri": self.target_link_uri(placement_id),
            "lti_message_hint": intent.message_hint,
            "client_id": self.cfg.client_id,
            "lti_deployment_id": self.cfg.deployment_id,
        }
        if platform_storage:
            params["lti_storage_target"] = "_parent"
        return params

    def target_link_uri(self, placement_id: str | None) -> str:
        if placement_id is None:
            return self.cfg.tool_launch_url
        return self.placement(placement_id).target_link_uri or self.cfg.tool_launch_url


def _message_hint(placement_id: str | None) -> str:
    """Moodle 4.5's `lti_message_hint`: the course module and a launch id its session keeps for one
    authentication request (fixture 01); a Deep Linking request names only the launch."""
    nonce = secrets.randbelow(10**9)
    if placement_id is None:
        return json.dumps({"launchid": f"ltilaunch_ContentItemSelectionRequest{nonce}"}, separators=(",", ":"))
    return json.dumps({"cmid": int(placement_id), "launchid": f"ltilaunch{placement_id}_{nonce}"},
                      separators=(",", ":"))
