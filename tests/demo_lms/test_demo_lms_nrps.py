"""NRPS memberships: Moodle's shape (fixture 13), role filter, rlid, and Link rel="next" paging."""
from __future__ import annotations

import re

import pytest
from demo_lms_helpers import NRPS_SCOPE, FakeTool, access_token, moodle_fixture
from flask.testing import FlaskClient

from lti_tool.demo_lms import DemoLms

CT = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@pytest.fixture()
def auth(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(client, lms, fake_tool, [NRPS_SCOPE])}"}


def test_memberships_have_moodle_shape(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    resp = client.get(lms.urls.memberships, headers=auth)
    assert resp.status_code == 200 and resp.mimetype == CT
    body = resp.get_json()
    moodle = moodle_fixture("13")["exchanges"][0]["response"]["body"]
    assert set(body) == set(moodle)
    assert body["id"] == lms.urls.memberships
    assert body["context"] == {"id": "2", "label": "EMM2-CARIB", "title": "EMM2.0 — Caribbean cohort (demo)"}
    assert {m["user_id"] for m in body["members"]} == {"3", "4", "5", "6"}  # the admin is not enrolled
    for member in body["members"]:
        assert set(member) == set(moodle["members"][0])
        assert member["roles"] in (["Learner"], ["Instructor"])  # short names, unlike the id_token


def test_role_filter_takes_full_uri_or_short_name(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    full = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    for role in (full, "Learner"):
        members = client.get(lms.urls.memberships, query_string={"role": role}, headers=auth).get_json()["members"]
        assert sorted(m["user_id"] for m in members) == ["4", "5", "6"]


def test_paging_follows_link_next(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    seen: list[str] = []
    url: str | None = f"{lms.urls.memberships}?limit=3"
    pages = 0
    while url:
        resp = client.get(url, headers=auth)
        assert resp.status_code == 200
        seen += [m["user_id"] for m in resp.get_json()["members"]]
        pages += 1
        match = re.search(r'<([^>]*)>;\s*rel="next"', resp.headers.get("Link", ""))
        url = match.group(1) if match else None
    assert pages == 2 and sorted(seen) == ["3", "4", "5", "6"]


def test_rlid_adds_the_message_claims(client: FlaskClient, lms: DemoLms, auth: dict) -> None:
    members = client.get(lms.urls.memberships, query_string={"rlid": "1"}, headers=auth).get_json()["members"]
    message = members[0]["message"][0]
    assert message["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiResourceLinkRequest"
    assert "lis_result_sourcedid" in message["https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"]
    assert client.get(lms.urls.memberships, query_string={"rlid": "99"}, headers=auth).status_code == 400


def test_memberships_need_the_nrps_scope(client: FlaskClient, lms: DemoLms, fake_tool: FakeTool) -> None:
    ags_only = access_token(client, lms, fake_tool, ["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    assert client.get(lms.urls.memberships, headers={"Authorization": f"Bearer {ags_only}"}).status_code == 403
    assert client.get(lms.urls.memberships).status_code == 401


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "x"}, {"limit": "2", "from": "-1"}])
def test_bad_paging_is_a_400(client: FlaskClient, lms: DemoLms, auth: dict, query: dict) -> None:
    assert client.get(lms.urls.memberships, query_string=query, headers=auth).status_code == 400
