"""The launch once its state is taken and bound to this browser: validate, record, hand out a reference."""
from __future__ import annotations

from ..extensions import db
from ..models_base import utcnow
from ..runtime import Runtime
from .login import LoginState
from .records import LaunchFacts, write_launch
from .validation import validate_launch


def complete_launch(rt: Runtime, login_state: LoginState, id_token: str) -> str:
    """Validate the id_token against its login state, write the launch's rows; return its reference.

    The caller has taken the state, so of two posts of the same launch only one gets this far. The
    rows are written in the request's transaction: a refusal after this point rolls them back.
    """
    valid = validate_launch(id_token, login_state, keysets=rt.keysets, settings=rt.settings)
    facts = LaunchFacts.from_claims(valid.claims, platform_id=valid.platform.id,
                                    deployment_id=valid.deployment_id, settings=rt.settings, now=utcnow())
    return rt.refs.issue(write_launch(db.session, facts))
