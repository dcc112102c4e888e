"""Quiz answers that arrive after the launch reference expired: kept with their attempt, not lost.

Every quiz form carries, beside its launch-bound CSRF token, an answers token: the attempt id and
the participant, signed with the app's secret for this one purpose (its own salt) and valid for
`TOKEN_DAYS`. When the launch behind a quiz form has expired, that token is what lets the form's
answers reach the server, and it allows exactly one thing: saving answers into that attempt while it
is open (and, for a submit, asking for it to be scored when the learner comes back). It cannot read
anything, score anything, or touch another attempt; the form's attempt key must match too, and the
POST must come from this site.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db
from ..progress.models import Attempt, Progress

log = logging.getLogger(__name__)

#: how long a quiz form's answers can still be kept after it was shown
TOKEN_DAYS = 30
_SALT = "emm-lti.quiz-answers.v1"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT,
                                  signer_kwargs={"digest_method": hashlib.sha256})


def answers_token(attempt: Attempt, participant_id: int) -> str:
    """The token a quiz form carries for `attempt`."""
    return _serializer().dumps([attempt.id, participant_id])


@dataclass(frozen=True)
class LateTarget:
    attempt: Attempt
    progress: Progress


class NotKept(Exception):
    """The late answers cannot be written: `submitted` when their attempt was scored meanwhile."""

    def __init__(self, submitted: bool = False):
        super().__init__("already submitted" if submitted else "no attempt this form may write to")
        self.submitted = submitted


def attempt_for_token(token: str, *, key: str, module_id: str) -> LateTarget:
    """The open attempt a token (and the form's attempt key) may write to; NotKept when it may not."""
    try:
        attempt_id, participant_id = _serializer().loads(token, max_age=TOKEN_DAYS * 86400)
    except (BadSignature, TypeError, ValueError):
        log.info("late quiz answers refused: bad or old answers token")
        raise NotKept() from None
    found = db.session.execute(
        select(Attempt, Progress).join(Progress, Progress.id == Attempt.progress_id)
        .where(Attempt.id == attempt_id, Progress.participant_id == participant_id)).first()
    if found is None or found[0].key != key or found[1].module_id != module_id:
        log.info("late quiz answers refused for attempt %s: key or module does not match", attempt_id)
        raise NotKept()
    attempt, progress = found
    if attempt.submitted_at is not None:
        raise NotKept(submitted=True)
    return LateTarget(attempt, progress)
