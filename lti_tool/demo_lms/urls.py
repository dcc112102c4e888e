"""Absolute URLs the platform hands out, built from base_url rather than from the request's Host."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

#: Moodle's service URLs carry ?type_id=1, so a tool must put sub-paths before the query; ours do too.
SERVICE_QUERY = "type_id=1"


@dataclass(frozen=True)
class Urls:
    base: str
    context_id: str

    def page(self, path: str, **query: str) -> str:
        return f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")

    @property
    def auth(self) -> str:
        """The OIDC authorization endpoint, at Moodle's path (tools recognise Moodle by it)."""
        return f"{self.base}/mod/lti/auth.php"

    def activity_launch(self, placement_id: str) -> str:
        """Moodle's `mod/lti/launch.php?id=<cmid>`: starts a fresh launch of the activity (a new window's link)."""
        return self.page("/mod/lti/launch.php", id=placement_id)

    @property
    def token(self) -> str:
        return f"{self.base}/token"

    @property
    def jwks(self) -> str:
        return f"{self.base}/jwks"

    @property
    def deep_link_return(self) -> str:
        return f"{self.base}/deep-link-return"

    @property
    def lineitems_path(self) -> str:
        return f"{self.base}/ags/{self.context_id}/lineitems"

    @property
    def lineitems(self) -> str:
        return f"{self.lineitems_path}?{SERVICE_QUERY}"

    def lineitem_path(self, item_id: str) -> str:
        return f"{self.lineitems_path}/{item_id}/lineitem"

    def lineitem(self, item_id: str) -> str:
        return f"{self.lineitem_path(item_id)}?{SERVICE_QUERY}"

    def result(self, item_id: str, user_id: str) -> str:
        return f"{self.lineitem_path(item_id)}/results?{SERVICE_QUERY}&{urlencode({'user_id': user_id})}"

    @property
    def memberships(self) -> str:
        return f"{self.base}/nrps/{self.context_id}/memberships"

    @property
    def basic_outcome(self) -> str:
        return f"{self.base}/lti11/outcomes"

    def return_url(self, placement_id: str | None) -> str:
        return self.page("/return", **({"placement": placement_id} if placement_id else {}))
