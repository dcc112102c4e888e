"""The launch once its state is taken and bound to this browser: validate, record, choose its page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

from ..attribution import asks_country
from ..extensions import db
from ..learner.services import landing_url
from ..models_base import utcnow
from ..runtime import Runtime
from ..signals import placement_launched
from .claims import MessageType
from .login import LoginState
from .records import LaunchFacts, RecordedLaunch, write_launch
from .validation import validate_launch


@dataclass(frozen=True)
class CompletedLaunch:
    #: the signed launch reference every page after the launch carries
    ref: str
    facts: LaunchFacts
    recorded: RecordedLaunch

    def landing_url(self, catalogue: Any) -> str:
        """Where the learner home would send this launch, worked out from what the launch wrote."""
        placement = self.facts.placement
        activity_country = placement.country if placement is not None else None
        return landing_url(
            self.ref, deep_link=self.facts.message_type == MessageType.DEEP_LINKING, access=self.facts.access,
            module_id=placement.module_id if placement is not None else None, catalogue=catalogue,
            asks_country=lambda: asks_country(
                asked=self.recorded.country_asked, chosen_country=self.recorded.chosen_country,
                activity_country=activity_country, profile_country=self.recorded.profile_country),
        ) or url_for("learner.home", ref=self.ref)


def complete_launch(rt: Runtime, login_state: LoginState, id_token: str) -> CompletedLaunch:
    """Validate the id_token against its login state and write the launch's rows.

    The caller has taken the state, so of two posts of the same launch only one gets this far. The
    rows are written in the request's transaction: a refusal after this point rolls them back.
    """
    valid = validate_launch(id_token, login_state, keysets=rt.keysets, settings=rt.settings)
    facts = LaunchFacts.from_claims(valid.claims, platform_id=valid.platform.id,
                                    deployment_id=valid.deployment_id, settings=rt.settings, now=utcnow())
    recorded = write_launch(db.session, facts)
    if recorded.placement_id is not None and facts.placement is not None and facts.placement.module_id:
        placement_launched.send(current_app._get_current_object(), placement_id=recorded.placement_id)
    return CompletedLaunch(rt.refs.issue(recorded.launch_id), facts, recorded)
