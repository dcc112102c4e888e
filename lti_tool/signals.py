"""Signals between features, so scoring does not import grade delivery (and tests can listen).

`attempt_scored` is sent inside the request's transaction, right after an attempt and the
participant's progress are flushed: receivers write their rows (the grade owed to the LMS) in
the same transaction, so an attempt and its grade delivery are committed together or not at all.
"""
from blinker import Namespace

_signals = Namespace()

#: sender: the Flask app; kwargs: attempt=Attempt, progress=Progress, module=content Module
attempt_scored = _signals.signal("attempt-scored")

#: sender: the Flask app; kwargs: progress=Progress, module=content Module, attempt=Attempt or None.
#: Sent once per progress, when its module's completion rule is first met: by the attempt that
#: passed the quiz (then right after that attempt's `attempt_scored`), or by a page view
#: (attempt=None) when the quiz was passed before the last page was read or the rule is `pages`.
module_completed = _signals.signal("module-completed")

#: sender: the Flask app; kwargs: placement_id=int. Sent inside the launch's transaction when a launch
#: came through an activity: scores that waited for a gradebook column of its module may now have one.
placement_launched = _signals.signal("placement-launched")
