"""LTI Dynamic Registration: a one-time invitation, the platform's configuration shaped like Moodle's
(fixture 15), the tool's registration request, and a launch from the platform it recorded."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lti_helpers import TOOL_CONFIGURATION, KeyServer, Launcher, RegisteringLms
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from lti_tool.platforms.registration import issue_invite
from lti_tool.runtime import runtime


@pytest.fixture
def lms(tool_server, key_server: KeyServer) -> RegisteringLms:
    return RegisteringLms(key_server, tool_server.url)


def invite(app: Flask, tool_url: str, ttl: int = 3600) -> str:
    with app.app_context():
        return issue_invite(runtime(app).state_store, tool_url, ttl).url


def open_link(link: str, lms: RegisteringLms, **params: str) -> requests.Response:
    query = {"openid_configuration": lms.configuration_url, "registration_token": "reg-token-123", **params}
    return requests.get(link, params={k: v for k, v in query.items() if v is not None}, timeout=10)


def registered(app: Flask, lms: RegisteringLms) -> Platform | None:
    with app.app_context():
        found = db.session.scalar(select(Platform).where(Platform.issuer == lms.base))
        if found is not None:
            found.deployments  # noqa: B018 - load before the session closes
            db.session.expunge_all()
        return found


def test_an_lms_registers_the_tool_and_launches_it(app: Flask, tool_server, lms: RegisteringLms) -> None:
    page = open_link(invite(app, tool_server.url), lms)
    assert page.status_code == 200, page.text[:400]
    assert "The tool is registered" in page.text
    assert lms.platform.client_id in page.text
    assert "lti-registration.js" in page.text  # the script that tells the LMS to close its dialog
    # the LMS shows the page in a frame of its own, before it is a registered platform
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert "http://" + urlsplit(lms.base).netloc in page.headers["Content-Security-Policy"]

    (sent,) = lms.requests
    assert sent["authorization"] == "Bearer reg-token-123"
    body = sent["body"]
    assert body["initiate_login_uri"] == tool_server.url + "/lti/login"
    assert body["redirect_uris"] == [tool_server.url + "/lti/launch"]
    assert body["jwks_uri"] == tool_server.url + "/.well-known/jwks.json"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body[TOOL_CONFIGURATION]["custom_parameters"] == {"person_country": "$Person.address.country",
                                                                 "person_timezone": "$Person.address.timezone"}
    assert {m["type"] for m in body[TOOL_CONFIGURATION]["messages"]} == {"LtiDeepLinkingRequest"}
    # only scopes the platform offers (Moodle lists them in scopes_supported)
    assert set(body["scope"].split()) <= set(lms.configuration["scopes_supported"])
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in body["scope"].split()

    platform = registered(app, lms)
    assert platform is not None
    assert platform.client_id == lms.platform.client_id
    assert [d.deployment_id for d in platform.deployments] == [lms.platform.deployment_id]
    assert platform.auth_login_url == lms.base + "/auth"
    assert platform.auth_token_url == lms.base + "/token"
    assert platform.key_set_url == lms.platform.key_set_url
    assert platform.name.startswith("moodle")

    launched = Launcher(tool_server.url, lms.platform).launch()
    assert launched.status_code == 303, launched.text[:300]


def test_an_invitation_works_once(app: Flask, tool_server, lms: RegisteringLms) -> None:
    link = invite(app, tool_server.url)
    assert open_link(link, lms).status_code == 200
    again = open_link(link, lms)
    assert again.status_code == 403
    assert "already used or expired" in again.text
    assert len(lms.requests) == 1  # the second visit never reached the LMS


@pytest.mark.parametrize("code", ["unknown-code", "x" * 40])
def test_a_link_without_an_invitation_is_refused(tool_server, lms: RegisteringLms, code: str) -> None:
    # an LMS on an origin no registered platform uses (the test platforms all live on 127.0.0.1)
    unregistered = "http://localhost:" + str(urlsplit(lms.base).port)
    refused = open_link(f"{tool_server.url}/lti/register/{code}", lms,
                        openid_configuration=unregistered + "/moodle/mod/lti/openid-configuration.php")
    assert refused.status_code == 403
    assert "emm-lti platform invite" in refused.text
    assert lms.requests == []
    # without an invitation, nobody's origin is added to the frame policy
    assert unregistered not in refused.headers["Content-Security-Policy"]


def test_only_an_origin_goes_into_the_frame_policy(app: Flask, tool_server, lms: RegisteringLms) -> None:
    page = open_link(invite(app, tool_server.url), lms,
                     openid_configuration="https://a.example' 'unsafe-inline/x")
    assert page.status_code == 400
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


def test_the_configuration_must_be_served_under_its_issuer(app: Flask, tool_server, lms: RegisteringLms) -> None:
    lms.configuration["issuer"] = "https://moodle.elsewhere.example"
    page = open_link(invite(app, tool_server.url), lms)
    assert page.status_code == 502
    assert "is not under it" in page.text
    assert lms.requests == [] and registered(app, lms) is None


def test_an_lms_refusal_is_named_and_keeps_the_invitation(app: Flask, tool_server, lms: RegisteringLms) -> None:
    link = invite(app, tool_server.url)
    lms.registration_status = 400
    refused = open_link(link, lms)
    assert refused.status_code == 502
    assert "HTTP 400" in refused.text and "no thanks" in refused.text  # the LMS's error_description
    assert registered(app, lms) is None
    lms.registration_status = 200
    assert open_link(link, lms).status_code == 200  # the invitation was not used up
    assert registered(app, lms) is not None


def test_an_answer_without_a_deployment_is_named(app: Flask, tool_server, lms: RegisteringLms) -> None:
    del lms.answer[TOOL_CONFIGURATION]["deployment_id"]
    page = open_link(invite(app, tool_server.url), lms)
    assert page.status_code == 502
    assert "no deployment_id" in page.text and lms.platform.client_id in page.text
    assert registered(app, lms) is None


def test_a_link_opened_without_the_lms_is_explained(app: Flask, tool_server, lms: RegisteringLms) -> None:
    page = open_link(invite(app, tool_server.url), lms, openid_configuration=None)
    assert page.status_code == 400
    assert "openid_configuration" in page.text


def test_plain_http_configuration_off_loopback_is_refused(app: Flask, tool_server, lms: RegisteringLms) -> None:
    page = open_link(invite(app, tool_server.url), lms,
                     openid_configuration="http://moodle.example.org/mod/lti/openid-configuration.php")
    assert page.status_code == 400
    assert "must use https" in page.text


def test_an_issuer_is_a_whole_prefix_of_the_configuration_url(app: Flask, tool_server, lms: RegisteringLms) -> None:
    """https://lms.example does not cover https://lms.example.evil.test/…"""
    lms.configuration["issuer"] = lms.base[:-2]  # the issuer's path cut inside its last segment
    page = open_link(invite(app, tool_server.url), lms)
    assert page.status_code == 502
    assert "is not under it" in page.text
    assert registered(app, lms) is None


def test_an_unusable_answer_keeps_the_invitation(app: Flask, tool_server, lms: RegisteringLms) -> None:
    link = invite(app, tool_server.url)
    lms.answer["client_id"] = "bad\x01id"
    refused = open_link(link, lms)
    assert refused.status_code == 502
    assert "client-id" in refused.text and "control characters" in refused.text
    lms.answer["client_id"] = lms.platform.client_id
    assert open_link(link, lms).status_code == 200
