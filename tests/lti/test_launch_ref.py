"""Launch references: signed, short-lived, and naming nothing but a launch id."""
from __future__ import annotations

import hashlib
import secrets

import pytest
from itsdangerous import TimestampSigner

from lti_tool.errors import LaunchExpired
from lti_tool.lti.launch_ref import LaunchRefs

KEY = "test-key-" + secrets.token_hex(8)


def test_a_reference_resolves_to_its_launch_id() -> None:
    refs = LaunchRefs(KEY, 3600)
    launch_id = secrets.token_hex(16)
    ref = refs.issue(launch_id)
    assert ref.startswith(launch_id + ".")
    assert all(c.isalnum() or c in "-_." for c in ref)  # it travels in a URL path as it is
    assert refs.resolve(ref) == launch_id


@pytest.mark.parametrize("forge", [
    lambda ref: ref[:-2] + ("AA" if not ref.endswith("AA") else "BB"),       # signature changed
    lambda ref: secrets.token_hex(16) + ref[32:],                            # another launch id
    lambda ref: LaunchRefs("another-key", 3600).issue(ref[:32]),             # another tool's key
    lambda ref: TimestampSigner(KEY, salt="emm-lti.launch-ref.v2",             # well signed, not an id
                                digest_method=hashlib.sha256).sign("../../etc").decode(),
    lambda ref: "not-a-reference",
])
def test_a_forged_reference_is_refused(forge) -> None:
    refs = LaunchRefs(KEY, 3600)
    with pytest.raises(LaunchExpired) as refused:
        refs.resolve(forge(refs.issue(secrets.token_hex(16))))
    assert refused.value.status == 401


def test_an_old_reference_is_refused() -> None:
    ref = LaunchRefs(KEY, 3600).issue(secrets.token_hex(16))
    with pytest.raises(LaunchExpired):
        LaunchRefs(KEY, -1).resolve(ref)  # older than any allowed age
