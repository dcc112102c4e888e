"""The launch once its state is found and bound to this browser: consume it, validate, record."""
from __future__ import annotations

from typing import Mapping

from pylti1p3.contrib.flask import FlaskRequest

from ..runtime import Runtime
from .records import record_launch
from .validation import EmmMessageLaunch, LoginState


def complete_launch(
    rt: Runtime, login_state: LoginState, form: Mapping[str, str], cookies: Mapping[str, str],
    *, is_secure: bool,
) -> str:
    """Validate the id_token against its login state, write the launch's rows; return its reference.

    The caller has taken (popped) the state, so of two posts of the same launch only one gets this
    far. The rows are committed in a transaction of their own: SQLite's single writer lock is held
    for the six statements only.
    """
    message = EmmMessageLaunch(
        FlaskRequest(request_data=form, cookies=cookies, session={}, request_is_secure=is_secure),
        rt.tool_conf, login_state=login_state, keysets=rt.keysets, settings=rt.settings,
        requests_session=rt.http,
    ).validate()
    launch_id = record_launch(message.claims, message.platform.id, message.deployment, rt.settings)
    return rt.refs.issue(launch_id)
