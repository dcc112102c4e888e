"""Login initiation and /auth: validation errors, and id_tokens shaped like Moodle's."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from demo_lms_helpers import (
    auth_params,
    form_action,
    form_fields,
    launch_id_token,
    moodle_fixture,
    query,
)
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms, LaunchRefused

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def test_login_url_carries_the_oidc_initiation_parameters(lms: DemoLms) -> None:
    url = lms.login_url("4", "1")
    assert url.startswith(f"{lms.cfg.tool_base_url}/lti/login?")
    params = query(url)
    assert params["iss"] == lms.cfg.issuer
    assert params["client_id"] == lms.cfg.client_id
    assert params["lti_deployment_id"] == "1"
    assert params["target_link_uri"] == f"{lms.cfg.tool_base_url}/lti/launch"
    assert params["lti_storage_target"] == "_parent"
    # login_hint is opaque: it names neither the user nor the placement.
    assert "4" not in params["login_hint"].split("-") and params["login_hint"] != params["lti_message_hint"]


def test_platform_storage_switches_off_in_moodle_mode_and_in_a_new_window(lms: DemoLms) -> None:
    assert "lti_storage_target" not in query(lms.login_url("4", "1", platform_storage=False))
    assert "lti_storage_target" not in query(lms.login_url("4", "1", document_target="window"))
    lms.set_switches(moodle_mode=True)
    assert "lti_storage_target" not in query(lms.login_url("4", "1"))
    assert query(lms.login_url("4", "1", platform_storage=True))["lti_storage_target"] == "_parent"


def test_launch_page_frames_the_login_url(client: FlaskClient, lms: DemoLms) -> None:
    body = client.get("/launch", query_string={"user": "5", "placement": "1", "storage": "off"}).get_data(as_text=True)
    assert '<iframe id="tool-frame"' in body and f'data-tool-origin="{lms.cfg.tool_base_url}"' in body
    assert "Open in new window" in body and 'target="_blank"' in body
    assert "lti_storage_target" not in body  # storage off for this launch


def test_learners_cannot_deep_link(client: FlaskClient, lms: DemoLms) -> None:
    with pytest.raises(LaunchRefused):
        lms.login_url("4", deep_link=True)
    assert client.get("/launch", query_string={"user": "4", "deep_link": "1"}).status_code == 403
    assert client.get("/launch", query_string={"user": "99", "placement": "1"}).status_code == 400
    assert client.get("/launch", query_string={"user": "4", "placement": "nope"}).status_code == 400


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"response_mode": "query"}, "invalid_request"),
        ({"prompt": "login"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"login_hint": "forged"}, "login_required"),
        ({"lti_message_hint": "other"}, "invalid_request"),
    ],
)
def test_auth_errors_go_back_to_the_tool(client: FlaskClient, lms: DemoLms, override: dict, error: str) -> None:
    params = auth_params(lms, lms.login_url("4", "1"), **override)
    resp = client.get("/mod/lti/auth.php", query_string=params)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert form_action(body) == lms.cfg.tool_launch_url
    fields = form_fields(body)
    assert fields["error"] == error and fields["state"] == "state-123"
    assert "id_token" not in fields


@pytest.mark.parametrize(
    "override", [{"client_id": "someone-else"}, {"redirect_uri": "http://evil.example/launch"}]
)
def test_auth_never_redirects_to_an_unregistered_client(client: FlaskClient, lms: DemoLms, override: dict) -> None:
    resp = client.post("/mod/lti/auth.php", data=auth_params(lms, lms.login_url("4", "1"), **override))
    assert resp.status_code == 400
    assert "<form" not in resp.get_data(as_text=True)


def _claim_keys(claims: dict) -> set[str]:
    return set(claims)


def test_learner_id_token_has_moodle_claim_set(client: FlaskClient, lms: DemoLms) -> None:
    token, claims = launch_id_token(client, lms, lms.login_url("5", "1"), nonce="n-abc")
    moodle = moodle_fixture("02")["claims"]
    assert _claim_keys(claims) == _claim_keys(moodle)
    assert claims["exp"] == claims["iat"] + 60
    assert claims["nonce"] == "n-abc"
    assert claims["iss"] == lms.cfg.issuer and claims["aud"] == lms.cfg.client_id
    assert claims["sub"] == "5"
    assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "context"]["type"] == ["CourseSection"]
    assert set(claims[LTI + "context"]) == set(moodle[LTI + "context"])
    assert set(claims[LTI + "resource_link"]) == {"id", "title", "description"}
    assert claims[LTI + "launch_presentation"]["locale"] == "en"
    assert claims[LTI + "launch_presentation"]["document_target"] == "iframe"
    assert set(claims[LTI + "launch_presentation"]) == set(moodle[LTI + "launch_presentation"])
    assert set(claims[LTI + "lis"]) == set(moodle[LTI + "lis"])
    assert set(claims[LTI + "tool_platform"]) == set(moodle[LTI + "tool_platform"])
    custom = claims[LTI + "custom"]
    assert custom["module"] == "m01" and custom["person_country"] == "GD"
    assert "country" not in custom  # placement 1 sets no activity country
    assert all(isinstance(v, str) for v in custom.values())
    ags = claims[AGS]
    assert ags["scope"] == moodle[AGS]["scope"]
    assert set(ags) == {"scope", "lineitems", "lineitem"}
    assert "?type_id=1" in ags["lineitem"]
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["service_versions"] == ["1.0", "2.0"] and nrps["context_memberships_url"] == custom["context_memberships_url"]


def test_activity_country_and_person_country_are_separate_keys(client: FlaskClient, lms: DemoLms) -> None:
    gd_session = next(p for p in lms.state.placements.values() if p.module == "m16")
    _, claims = launch_id_token(client, lms, lms.login_url("4", gd_session.id))
    assert claims[LTI + "custom"]["country"] == "GD"
    assert claims[LTI + "custom"]["person_country"] == "AG"


def test_teacher_and_admin_id_tokens(client: FlaskClient, lms: DemoLms) -> None:
    _, teacher = launch_id_token(client, lms, lms.login_url("3", "1"))
    assert _claim_keys(teacher) == _claim_keys(moodle_fixture("03")["claims"])
    assert teacher[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
    _, admin = launch_id_token(client, lms, lms.login_url("2", "1"))
    moodle_admin = moodle_fixture("06")["claims"]
    assert _claim_keys(admin) == _claim_keys(moodle_admin)
    assert admin[LTI + "roles"] == moodle_admin[LTI + "roles"]
    assert admin[LTI + "custom"]["person_country"] == ""  # no profile country: Moodle sends ""
    assert "lineitem" not in admin[AGS]  # not enrolled, as in Moodle


def test_locale_and_window_launch(client: FlaskClient, lms: DemoLms) -> None:
    url = lms.login_url("6", "2", locale="es_mx", document_target="window")
    _, claims = launch_id_token(client, lms, url)
    presentation = claims[LTI + "launch_presentation"]
    assert presentation["locale"] == "es_mx" and presentation["document_target"] == "window"
    assert presentation["return_url"].startswith(f"{lms.cfg.base_url}/return")
    with pytest.raises(LaunchRefused):
        lms.login_url("6", "2", locale="pt-BR")


def test_deep_linking_id_token_matches_moodle(client: FlaskClient, lms: DemoLms) -> None:
    _, claims = launch_id_token(client, lms, lms.login_url("3", deep_link=True))
    moodle = moodle_fixture("07")["claims"]
    assert _claim_keys(claims) == _claim_keys(moodle)
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[LTI + "launch_presentation"] == {"locale": "en"}
    settings = claims[DL_SETTINGS]
    assert set(settings) == set(moodle[DL_SETTINGS]) | {"data"}
    assert settings["deep_link_return_url"] == f"{lms.cfg.base_url}/deep-link-return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["data"]
    assert "lineitem" not in claims[AGS]


def test_auth_accepts_post_and_counts_id_tokens(client: FlaskClient, lms: DemoLms) -> None:
    resp = client.post("/mod/lti/auth.php", data=auth_params(lms, lms.login_url("4", "1")))
    assert "id_token" in form_fields(resp.get_data(as_text=True))
    assert resp.headers["Cache-Control"] == "no-store"
    assert lms.stats["id_tokens"] == 1


def test_the_message_hint_is_shaped_like_moodles(lms: DemoLms) -> None:
    moodle = moodle_fixture("01")
    hint = json.loads(query(lms.login_url("4", "1"))["lti_message_hint"])
    assert set(hint) == set(json.loads(moodle["resource_link_launch"]["params"]["lti_message_hint"]))
    assert hint["cmid"] == 1 and hint["launchid"].startswith("ltilaunch1_")
    deep = json.loads(query(lms.login_url("3", deep_link=True))["lti_message_hint"])
    assert set(deep) == {"launchid"} and deep["launchid"].startswith("ltilaunch_ContentItemSelectionRequest")


def test_a_launch_is_good_for_one_authentication_request(client: FlaskClient, lms: DemoLms) -> None:
    """As in Moodle: auth.php forgets the launch once a request names it; a second one is an error page."""
    login_url = lms.login_url("4", "1")
    launch_id_token(client, lms, login_url)
    again = client.get("/mod/lti/auth.php", query_string=auth_params(lms, login_url))
    assert again.status_code == 400
    body = again.get_data(as_text=True)
    assert "Invalid request" in body and "<form" not in body and "id_token" not in body
    assert lms.stats["id_tokens"] == 1 and lms.stats["spent_launches"] == 1


def test_the_activity_launch_page_starts_a_fresh_launch_in_a_new_window(client: FlaskClient, lms: DemoLms) -> None:
    """Moodle's mod/lti/launch.php?id=<cmid>: a new login initiation, posted to the tool, each time."""
    assert client.get("/mod/lti/launch.php", query_string={"id": "1"}).status_code == 401  # nobody chosen yet
    client.get("/launch", query_string={"user": "5", "placement": "1", "storage": "off"})
    hints = []
    for _ in range(2):
        page = client.get("/mod/lti/launch.php", query_string={"id": "1", "triggerview": "0"})
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert form_action(body) == lms.cfg.tool_login_url and 'method="post"' in body
        fields = form_fields(body)
        assert "lti_storage_target" not in fields and fields["iss"] == lms.cfg.issuer
        hints.append(fields["lti_message_hint"])
        login_url = f"{lms.cfg.tool_login_url}?{urlencode(fields)}"
        _, claims = launch_id_token(client, lms, login_url)
        assert claims["sub"] == "5" and claims[LTI + "launch_presentation"]["document_target"] == "window"
    assert hints[0] != hints[1]
    assert client.get("/mod/lti/launch.php", query_string={"id": "nope"}).status_code == 400
