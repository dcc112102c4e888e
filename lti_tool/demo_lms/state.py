"""Everything the demo LMS remembers, in memory behind one lock: a restart resets the gradebook."""
from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .course import USERS, PlacementSeed, User

#: launch intents kept for login_hint look-ups; the oldest go first
MAX_INTENTS = 10_000


@dataclass
class Placement:
    """A resource link in the course, bound to one module through its custom parameters."""

    id: str
    title: str
    description: str
    #: activity-level custom parameters (module, country, ... from Deep Linking), all strings
    custom: dict[str, str]
    #: None = the tool's registered launch URL
    target_link_uri: str | None = None
    line_item_id: str | None = None

    @property
    def module(self) -> str:
        return self.custom.get("module", "")

    @property
    def country(self) -> str:
        return self.custom.get("country", "")


@dataclass
class LineItem:
    """A gradebook column; AGS field names are mapped in services.py."""

    id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None


@dataclass
class ScoreRecord:
    """The last score one learner got on one line item: what the tool sent and what the gradebook shows."""

    user_id: str
    #: the score body exactly as received over AGS
    received: dict[str, Any]
    timestamp: datetime
    activity_progress: str
    grading_progress: str
    #: rescaled to the line item's maximum; None when not FullyGraded (Moodle clears the grade)
    result_score: float | None
    result_maximum: float
    #: None when the score carried no comment (Moodle clears the feedback)
    comment: str | None


@dataclass
class LaunchIntent:
    """What an opaque login_hint stands for: who launches what, and how it is presented.

    Like Moodle's launch in the user's session, it is good for one authentication request: `used`
    is set by the first /auth that names it.
    """

    user_sub: str
    placement_id: str | None
    message_type: str
    document_target: str
    locale: str
    message_hint: str
    used: bool = False


@dataclass
class AccessToken:
    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class Switches:
    """Failure switches, so a newcomer can watch the tool's retries."""

    #: AGS and NRPS answer 503 with Retry-After
    ags_down: bool = False
    ags_retry_after: int = 30
    #: this share of score posts answers 500 (spread evenly, so 50 means every second post)
    score_fail_percent: int = 0
    #: store the score before answering 500, so the tool's retry meets a 409
    score_fail_after_store: bool = False
    #: when > 0, AGS and NRPS answer 429 with Retry-After of this many seconds
    rate_limit_retry_after: int = 0
    #: the token endpoint answers 500
    token_fail: bool = False
    #: a slow LMS: the token endpoint, AGS and NRPS answer after this many milliseconds
    slow_ms: int = 0
    #: default for launches: no lti_storage_target, as Moodle sends none
    moodle_mode: bool = False

    def validated(self) -> "Switches":
        """Refuse values that make no sense rather than behaving strangely later."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("bool", bool) and not isinstance(value, bool):
                raise ValueError(f"switch {f.name} must be true or false, got {value!r}")
            if f.type in ("int", int) and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"switch {f.name} must be a whole number >= 0, got {value!r}")
        if self.score_fail_percent > 100:
            raise ValueError("switch score_fail_percent must be between 0 and 100")
        return self


@dataclass
class DemoState:
    """The course's mutable state. Hold `lock` for every read-modify-write."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, User] = field(default_factory=lambda: {u.sub: u for u in USERS})
    placements: "OrderedDict[str, Placement]" = field(default_factory=OrderedDict)
    line_items: "OrderedDict[str, LineItem]" = field(default_factory=OrderedDict)
    #: (line item id, user sub) -> last score
    scores: dict[tuple[str, str], ScoreRecord] = field(default_factory=dict)
    intents: "OrderedDict[str, LaunchIntent]" = field(default_factory=OrderedDict)
    #: Deep Linking `data` values handed out and not yet used -> the requesting user's sub
    deep_link_requests: dict[str, str] = field(default_factory=dict)
    #: nonces and jtis of tool JWTs already accepted -> their exp, to refuse replays
    seen_jwt_ids: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    switches: Switches = field(default_factory=Switches)
    stats: Counter[str] = field(default_factory=Counter)
    #: running total for score_fail_percent (a deterministic spread, not a coin toss)
    fail_accumulator: int = 0
    #: last id handed out per kind ("placement", "line_item"): separate series, as in Moodle
    last_ids: Counter[str] = field(default_factory=Counter)

    def new_id(self, kind: str) -> str:
        with self.lock:
            self.last_ids[kind] += 1
            return str(self.last_ids[kind])

    def add_placement(
        self,
        title: str,
        custom: dict[str, str],
        *,
        description: str = "",
        target_link_uri: str | None = None,
        line_item: dict[str, Any] | None = None,
    ) -> Placement:
        """Create a placement, and its grade column when line_item gives one (label, score_maximum, ...)."""
        with self.lock:
            placement = Placement(
                id=self.new_id("placement"),
                title=title,
                description=description or f"Launch of {title}",
                custom=dict(custom),
                target_link_uri=target_link_uri,
            )
            self.placements[placement.id] = placement
            if line_item is not None:
                item = LineItem(id=self.new_id("line_item"), resource_link_id=placement.id, **line_item)
                self.line_items[item.id] = item
                placement.line_item_id = item.id
            return placement

    def seed(self, seeds: tuple[PlacementSeed, ...]) -> None:
        """Lay out the course's starting placements, each with a grade column as Moodle makes one."""
        for seed in seeds:
            custom = {"module": seed.module}
            if seed.country:
                custom["country"] = seed.country
            self.add_placement(seed.title, custom, line_item={
                "label": seed.title, "score_maximum": seed.score_maximum, "resource_id": seed.resource_id,
                "tag": seed.tag})

    def remember_intent(self, intent: LaunchIntent) -> str:
        """Store an intent under a fresh opaque login_hint and return it."""
        hint = secrets.token_urlsafe(18)
        with self.lock:
            self.intents[hint] = intent
            while len(self.intents) > MAX_INTENTS:
                self.intents.popitem(last=False)
        return hint

    def use_jwt_id(self, value: str, expires_at: float) -> bool:
        """Record a nonce or jti; False when it was already used and has not expired (a replay)."""
        now = time.time()
        with self.lock:
            for key in [k for k, exp in self.seen_jwt_ids.items() if exp < now]:
                del self.seen_jwt_ids[key]
            if value in self.seen_jwt_ids:
                return False
            self.seen_jwt_ids[value] = expires_at
            return True

    def learners(self) -> list[User]:
        return [u for u in self.users.values() if u.is_learner]
