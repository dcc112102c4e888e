"""Launches that must succeed: Moodle's shapes, clock leeway, LMS key rotation, certification variants."""
from __future__ import annotations

import time
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lti_helpers import DROP, KeyServer, Launcher, FakePlatform
from lti_tool.courses.models import Enrolment, Participant, Placement
from lti_tool.extensions import db
from lti_tool.lti.models import Launch, UsedNonce

ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"


def follow(response: requests.Response) -> requests.Response:
    assert response.status_code == 303, response.text[:500]
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


@pytest.mark.parametrize(
    ("fixture", "role"),
    [
        ("02_id_token_student_resource_link.json", "learner"),
        ("03_id_token_teacher_resource_link.json", "facilitator"),
        ("04_id_token_student_window_extra_substitutions.json", "learner"),
        ("05_id_token_teacher_window.json", "facilitator"),
        ("06_id_token_admin_resource_link.json", "admin"),
    ],
)
def test_moodle_shaped_launches(launcher: Launcher, platform: FakePlatform, app: Flask, fixture: str, role: str) -> None:
    response = launcher.launch(fixture)
    assert response.status_code == 303
    page = follow(response)
    assert page.status_code == 200
    # Moodle's captures launch module m01: its title shows
    assert "The Global Context of Migration" in page.text
    with app.app_context():
        launch = db.session.scalars(select(Launch).order_by(Launch.created_at.desc())).first()
        assert launch.role == role
        assert launch.platform.issuer == platform.issuer
        assert launch.placement.module_id == "m01"
        assert launch.participant.sub == platform.claims("x", fixture)["sub"]


def test_deep_linking_request_shape_is_accepted(launcher: Launcher) -> None:
    response = launcher.launch("07_id_token_deep_linking_request.json")
    assert response.status_code == 303
    assert "/facilitator/deep-link" in follow(response).url


def test_launch_records_rows(launcher: Launcher, platform: FakePlatform, app: Flask) -> None:
    response = launcher.launch(**{CUSTOM: {"module": "m04", "country": "GD"}})
    page = follow(response)
    assert "Gender and Migration" in page.text
    with app.app_context():
        participant = db.session.scalar(select(Participant).where(Participant.sub == "4",
                                        Participant.platform.has(issuer=platform.issuer)) if hasattr(Participant, "platform")
                                        else select(Participant).join(Launch).where(Launch.platform.has(issuer=platform.issuer)))
        assert participant.name == "Gina Grenada"
        assert participant.email == "student1@example.com"
        placement = db.session.scalar(select(Placement).join(Launch).where(Launch.participant_id == participant.id))
        assert placement.module_id == "m04"
        assert placement.lineitem_url.endswith("lineitems/2/lineitem?type_id=1")
        assert db.session.scalar(select(Enrolment.role).where(Enrolment.participant_id == participant.id)) == "learner"
        assert db.session.scalar(select(UsedNonce).where(UsedNonce.platform_id == placement.course.platform_id)) is not None


def test_iat_slightly_ahead_is_accepted(launcher: Launcher, platform: FakePlatform) -> None:
    login = launcher.login()
    now = int(time.time())
    token = platform.sign(platform.claims(login.nonce, iat=now + 10, exp=now + 70))
    assert launcher.post_launch(token, login.state, login.cookies).status_code == 303


def test_exp_just_past_is_accepted(launcher: Launcher, platform: FakePlatform) -> None:
    login = launcher.login()
    now = int(time.time())
    token = platform.sign(platform.claims(login.nonce, iat=now - 70, exp=now - 10))
    assert launcher.post_launch(token, login.state, login.cookies).status_code == 303


def test_lms_key_rotation_refetches_once(launcher: Launcher, platform: FakePlatform, key_server: KeyServer) -> None:
    assert launcher.launch().status_code == 303
    fetches = key_server.hits[platform.slug]
    assert launcher.launch().status_code == 303
    assert key_server.hits[platform.slug] == fetches, "a known kid must not re-fetch the key set"
    platform.rotate_key()
    assert launcher.launch().status_code == 303
    assert key_server.hits[platform.slug] == fetches + 1


@pytest.mark.parametrize(
    "overrides",
    [
        {ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
                 "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
                 "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]},
        {ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner", "http://example.org/roles#Unknown"]},
        {"name": DROP, "given_name": DROP, "family_name": DROP, "email": DROP},
        {CONTEXT: DROP},
        {ROLES: []},
    ],
    ids=["several-roles", "unknown-extra-role", "no-name-or-email", "no-context", "no-roles-in-list"],
)
def test_certification_valid_variants(launcher: Launcher, overrides) -> None:
    response = launcher.launch(**overrides)
    assert response.status_code == 303
    assert follow(response).status_code == 200


def test_launch_with_unknown_module_tells_learner(launcher: Launcher) -> None:
    page = follow(launcher.launch(**{CUSTOM: {"module": "m99"}}))
    assert page.status_code == 404
    assert "m99" in page.text and "not in the EMM2.0 curriculum" in page.text


def test_launch_without_module_shows_facilitator_the_catalogue(launcher: Launcher) -> None:
    page = follow(launcher.launch("03_id_token_teacher_resource_link.json", **{CUSTOM: {}}))
    assert page.status_code == 200
    for title in ("The Global Context of Migration", "Mobility Dimensions of Crises"):
        assert title in page.text


def test_learner_cannot_open_facilitator_pages(launcher: Launcher) -> None:
    page = follow(launcher.launch())
    facilitator_url = page.url.split("/m/")[0] + "/facilitator/"
    denied = requests.get(facilitator_url, timeout=10)
    assert denied.status_code == 403
    assert "for facilitators" in denied.text


def test_forged_launch_reference_is_refused(tool_server) -> None:
    response = requests.get(tool_server.url + "/l/forged.ref.value/m/m01/", timeout=10)
    assert response.status_code == 401
    assert "not valid for this tool" in response.text


@pytest.mark.parametrize(("language", "title", "message"), [
    ("es", "Su sesión ha terminado", "Este enlace no es válido para esta herramienta"),
    ("fr", "Votre session est terminée", "Ce lien n’est pas valide pour cet outil"),
])
def test_a_refusal_without_a_launch_speaks_the_browsers_language(tool_server, language: str, title: str,
                                                                 message: str) -> None:
    response = requests.get(tool_server.url + "/l/forged.ref.value/m/m01/",
                            headers={"Accept-Language": f"{language},en;q=0.5"}, timeout=10)
    assert response.status_code == 401
    assert f"<h1 id=\"err-title\">{title}</h1>" in response.text
    assert message in response.text


def test_a_refusal_in_a_launch_speaks_the_launchs_language(launcher: Launcher) -> None:
    page = follow(launcher.launch(**{"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {
        "locale": "es_mx", "document_target": "iframe"}}))
    denied = requests.get(page.url.split("/m/")[0] + "/facilitator/", timeout=10)
    assert denied.status_code == 403
    assert "No tiene acceso a esta página" in denied.text
    assert "Esta página es solo para facilitadores y administradores" in denied.text
    assert "participante" in denied.text


@pytest.mark.parametrize(("language", "title"), [
    ("en", "Page not found"), ("es", "Página no encontrada"), ("fr", "Page introuvable"),
])
def test_an_unknown_address_is_refused_in_the_browsers_language(tool_server, language: str, title: str) -> None:
    response = requests.get(tool_server.url + "/no/such/page", headers={"Accept-Language": language}, timeout=10)
    assert response.status_code == 404
    assert f"<h1 id=\"err-title\">{title}</h1>" in response.text
    assert "The requested URL was not found" not in response.text
