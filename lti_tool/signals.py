"""Signals between features, so scoring does not import grade delivery (and tests can listen).

`attempt_scored` is sent inside the request's transaction, right after an attempt and the
participant's progress are flushed: receivers write their rows (the grade owed to the LMS) in
the same transaction, so an attempt and its grade delivery are committed together or not at all.
"""
from blinker import Namespace

_signals = Namespace()

#: sender: the Flask app; kwargs: attempt=Attempt, progress=Progress, module=content Module
attempt_scored = _signals.signal("attempt-scored")
