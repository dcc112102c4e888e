"""The new-window link offered when the tool's cookie did not come back from the LMS frame."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lti_tool.lti.relaunch import moodle_cmid, new_window_url
from lti_tool.platforms.directory import PlatformInfo

TOOL_LOGIN = "https://tool.example/lti/login"


def platform(auth_login_url: str) -> PlatformInfo:
    return PlatformInfo(1, "https://lms.example", "client", "LMS", auth_login_url, "https://lms.example/jwks")


@pytest.mark.parametrize(
    ("hint", "cmid"),
    [('{"cmid":2,"launchid":"ltilaunch1_146603354"}', 2),       # Moodle 4.1 and later (fixture 01)
     ("17", 17),                                                  # before Moodle 4.1: the cmid itself
     ('{"launchid":"ltilaunch_ContentItemSelectionRequest9"}', None),  # Deep Linking: no activity yet
     ('{"cmid":"7","launchid":"x"}', 7), ('{"cmid":true}', None), ('{"cmid":-3}', None), ("0", None),
     ("[" * 3000 + "]" * 3000, None), ("not json", None), ("", None), (None, None)],
)
def test_the_course_module_in_moodles_message_hint(hint: str | None, cmid: int | None) -> None:
    assert moodle_cmid(hint) == cmid


def test_moodle_gets_its_own_launch_page_which_starts_a_fresh_launch() -> None:
    params = {"iss": "https://lms.example", "login_hint": "4", "lti_message_hint": '{"cmid":2,"launchid":"l1"}'}
    url = new_window_url(platform("https://lms.example/moodle/mod/lti/auth.php"), params, TOOL_LOGIN)
    assert url == "https://lms.example/moodle/mod/lti/launch.php?id=2&triggerview=0"


def test_a_moodle_deep_linking_request_cannot_be_reopened_from_the_tool() -> None:
    params = {"login_hint": "3", "lti_message_hint": '{"launchid":"ltilaunch_ContentItemSelectionRequest9"}'}
    assert new_window_url(platform("https://lms.example/mod/lti/auth.php"), params, TOOL_LOGIN) is None


def test_other_platforms_get_the_login_initiation_again() -> None:
    params = {"iss": "https://canvas.example", "login_hint": "abc", "lti_message_hint": "signed-hint"}
    url = new_window_url(platform("https://canvas.example/api/lti/authorize_redirect"), params, TOOL_LOGIN)
    assert url is not None and url.startswith(TOOL_LOGIN + "?")
    assert parse_qs(urlsplit(url).query) == {"iss": ["https://canvas.example"], "login_hint": ["abc"],
                                             "lti_message_hint": ["signed-hint"], "emm_new_window": ["1"]}
