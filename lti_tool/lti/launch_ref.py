"""The signed, short-lived launch reference carried in every link and form after a launch.

Browsers block third-party cookies inside LMS iframes, so nothing after the launch relies on a
cookie: the reference travels in the URL path and names a Launch row; its signature and age are
checked on every request.

A reference is `<launch id>.<timestamp>.<HMAC-SHA256>` (itsdangerous's TimestampSigner). The id is
32 random hex digits, already URL-safe, so it is signed as it is: no JSON, no compression.
"""
from __future__ import annotations

import hashlib
import re

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from ..errors import LaunchExpired

#: v2: the id signed as it is (v1 references were serialized JSON and no longer resolve)
_SALT = "emm-lti.launch-ref.v2"
_LAUNCH_ID = re.compile(r"[0-9a-f]{32}")
_INVALID = _l("This link is not valid for this tool. Open the activity again from your LMS.")


class LaunchRefs:
    """Issue and check launch references with the app's secret key."""

    def __init__(self, secret_key: str, max_age: int):
        self._signer = TimestampSigner(secret_key, salt=_SALT, digest_method=hashlib.sha256)
        self._max_age = max_age

    def issue(self, launch_id: str) -> str:
        return self._signer.sign(launch_id).decode("ascii")

    def resolve(self, ref: str) -> str:
        """The launch id inside a reference; LaunchExpired when forged or too old."""
        try:
            value = self._signer.unsign(ref, max_age=self._max_age).decode("ascii")
        except SignatureExpired:
            raise LaunchExpired(
                _l("This page was opened from a launch that is too old. Open the activity again from your LMS.")
            ) from None
        except (BadSignature, UnicodeDecodeError):
            raise LaunchExpired(_INVALID) from None
        if not _LAUNCH_ID.fullmatch(value):
            raise LaunchExpired(_INVALID)
        return value
