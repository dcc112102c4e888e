"""Where to send a learner whose browser dropped the tool's cookie inside the LMS frame.

When the state cookie does not come back with the launch (older Safari, strict privacy settings)
and the LMS offers no platform storage, the tool cannot tell this browser from another one, so it
refuses the launch and offers to open the activity in a new window, where its cookie is first-party.
That new window must start a launch the LMS accepts, and the LMS has by then spent the launch:

- **Moodle** keeps the launch named by `lti_message_hint` in the learner's Moodle session for one
  authentication request (`mod/lti/auth.php` unsets it once used; a second request with the same
  hint ends in Moodle's "Invalid request"). A fresh launch starts at `mod/lti/launch.php?id=<cmid>`,
  the page Moodle's own "open in a new window" link and its activity frame point at. The course
  module id (cmid) is in the hint: `{"cmid": 2, "launchid": "…"}` since Moodle 4.1, the bare number
  before. Moodle is recognised by its registered authentication URL, `…/mod/lti/auth.php`; the new
  URL is that one with `launch.php`, so a Moodle in a sub-folder works too.
- **Other platforms** get the login initiation again, with the parameters the LMS sent: that works
  where the platform accepts its hint more than once.
- A Moodle **Deep Linking** request has no course module to reopen (its hint names only the
  launch): the learner is asked to start it again from the course.
"""
from __future__ import annotations

import json
from typing import Mapping
from urllib.parse import urlencode, urlsplit

from ..platforms.directory import PlatformInfo

MOODLE_AUTH = "/mod/lti/auth.php"
MOODLE_LAUNCH = "/mod/lti/launch.php"


def moodle_cmid(message_hint: str | None) -> int | None:
    """The course module id in a Moodle `lti_message_hint`, or None when the hint names none."""
    if not message_hint:
        return None
    if message_hint.isdigit():  # before Moodle 4.1: the cmid itself
        return int(message_hint) or None
    try:
        hint = json.loads(message_hint)
    except (ValueError, RecursionError):
        return None
    cmid = hint.get("cmid") if isinstance(hint, dict) else None
    if isinstance(cmid, bool) or not isinstance(cmid, (int, str)) or not str(cmid).isdigit():
        return None
    return int(cmid) or None


def is_moodle(platform: PlatformInfo) -> bool:
    return urlsplit(platform.auth_login_url).path.endswith(MOODLE_AUTH)


def new_window_url(platform: PlatformInfo | None, login_params: Mapping[str, str], tool_login_url: str) -> str | None:
    """The URL that starts this launch afresh in a new window, or None when only the LMS page can."""
    if platform is not None and is_moodle(platform):
        cmid = moodle_cmid(login_params.get("lti_message_hint"))
        if cmid is None:
            return None
        auth = urlsplit(platform.auth_login_url)
        path = auth.path[: -len(MOODLE_AUTH)] + MOODLE_LAUNCH
        # triggerview=0: Moodle counted the view when it showed the activity page, as its frame does
        return f"{auth.scheme}://{auth.netloc}{path}?" + urlencode({"id": cmid, "triggerview": 0})
    return tool_login_url + "?" + urlencode({**login_params, "emm_new_window": "1"})
