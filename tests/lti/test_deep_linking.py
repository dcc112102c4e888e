"""Deep Linking: a facilitator places modules; the signed response matches what Moodle consumes."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urljoin

import jwt
import pytest
import requests

from lti_helpers import Launcher

DL = "07_id_token_deep_linking_request.json"
ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"


def open_picker(launcher: Launcher, **overrides) -> requests.Response:
    response = launcher.launch(DL, **overrides)
    assert response.status_code == 303, response.text[:400]
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


def csrf(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_deep_link_response_is_signed_and_shaped(launcher: Launcher, tool_server) -> None:
    picker = open_picker(launcher)
    assert picker.status_code == 200
    assert "Gender and Migration" in picker.text
    reply = requests.post(picker.url, data={"csrf_token": csrf(picker), "modules": ["m06", "m13"],
                                            "country": "GD", "graded": "y"}, timeout=10)
    assert reply.status_code == 200
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', reply.text).group(1))
    token = re.search(r'name="JWT" value="([^"]+)"', reply.text).group(1)
    settings = launcher.platform.claims("n", DL)["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    assert action == settings["deep_link_return_url"]

    jwks = requests.get(tool_server.url + "/.well-known/jwks.json", timeout=10).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(token, jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(key)), algorithms=["RS256"],
                        audience=launcher.platform.issuer)
    assert claims["iss"] == launcher.platform.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == launcher.platform.deployment_id
    assert claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") == settings.get("data")  # Moodle sends none
    items = claims[ITEMS]
    assert [item["custom"] for item in items] == [{"module": "m06", "country": "GD"}, {"module": "m13", "country": "GD"}]
    assert items[0]["type"] == "ltiResourceLink"
    assert items[0]["url"] == tool_server.url + "/lti/launch"
    assert items[0]["lineItem"] == {"scoreMaximum": 100, "label": "Migration Management and the Policy Cycle",
                                    "resourceId": "m06", "tag": "emm2"}
    assert items[1]["title"] == "Trafficking in Persons and Migrant Smuggling"


def test_ungraded_placement_has_no_line_item(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    reply = requests.post(picker.url, data={"csrf_token": csrf(picker), "modules": ["m01"]}, timeout=10)
    token = re.search(r'name="JWT" value="([^"]+)"', reply.text).group(1)
    item = jwt.decode(token, options={"verify_signature": False})[ITEMS][0]
    assert "lineItem" not in item and item["custom"] == {"module": "m01"}


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        ({"modules": ["m99"]}, "not a valid choice"),
        ({"modules": ["m01"], "country": "XX"}, "not a valid choice"),
        ({}, "Choose at least one module"),
    ],
    ids=["unknown-module", "unknown-country", "nothing-chosen"],
)
def test_bad_selection_is_refused(launcher: Launcher, data, phrase) -> None:
    picker = open_picker(launcher)
    reply = requests.post(picker.url, data={"csrf_token": csrf(picker), **data}, timeout=10)
    assert reply.status_code == 400
    assert phrase.lower() in reply.text.lower()


def test_missing_csrf_token_is_refused(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    reply = requests.post(picker.url, data={"modules": ["m01"]}, timeout=10)
    assert reply.status_code == 400
    assert "CSRF" in reply.text or "expired" in reply.text


def test_cross_site_post_is_refused(launcher: Launcher) -> None:
    picker = open_picker(launcher)
    reply = requests.post(picker.url, data={"csrf_token": csrf(picker), "modules": ["m01"]},
                          headers={"Sec-Fetch-Site": "cross-site"}, timeout=10)
    assert reply.status_code == 400
    assert "another site" in reply.text


def test_learner_cannot_deep_link(launcher: Launcher) -> None:
    picker = open_picker(launcher, **{ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]})
    assert picker.status_code == 403
