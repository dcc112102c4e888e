"""Three requests that used to end in a server error are 400s with a message: CR/LF in `next`, a dashboard `?country=`
that is not a country code, and an id_token payload nested thousands deep."""
from __future__ import annotations

import base64

import pytest

from lti_helpers import Launcher
from security_support import csrf, CUSTOM, launched, staff



@pytest.mark.parametrize("form", ["/language", "/about-you"])
def test_crlf_in_next_is_a_400(launcher: Launcher, form: str) -> None:
    learner = launched(launcher, sub="NEXT-1", **{CUSTOM: {"module": "m01", "person_country": ""}})
    page = learner.get("/about-you?next=/")
    data = {"csrf_token": csrf(page.text), "locale": "fr", "country": "GD",
            "next": f"/l/{learner.ref}/x\r\nSet-Cookie: a=b"}
    refused = learner.post(form, data)
    assert refused.status_code == 400
    assert "not a valid address" in refused.text
    assert "Set-Cookie" not in refused.headers or "a=b" not in refused.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("value", ["XX", "' OR 1=1--", "gd'", "<script>"])
def test_a_bad_country_filter_is_a_400(launcher: Launcher, value: str) -> None:
    facilitator = staff(launcher, sub="COUNTRY-F")
    refused = facilitator.get("/facilitator/", params={"country": value})
    assert refused.status_code == 400
    assert "is not a country code" in refused.text and "<script>" not in refused.text
    assert facilitator.get("/facilitator/", params={"country": "gd"}).status_code == 200
    assert facilitator.get("/facilitator/", params={"country": ""}).status_code == 200  # "not given"


def test_a_deeply_nested_id_token_is_a_400(launcher: Launcher) -> None:
    login = launcher.login()
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    token = ".".join([b64(b'{"alg":"RS256","kid":"k"}'), b64(b"[" * 3000 + b"]" * 3000), b64(b"sig")])
    refused = launcher.post_launch(token, login.state, login.cookies)
    assert refused.status_code == 400
    assert "The id_token cannot be decoded" in refused.text and "Traceback" not in refused.text
