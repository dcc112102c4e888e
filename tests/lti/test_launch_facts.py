"""LaunchFacts.from_claims: what a validated launch will write, worked out without a database or request."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lti_helpers import DROP, fixture_claims
from lti_tool.config import Settings
from lti_tool.lti.claims import Claim
from lti_tool.lti.records import LaunchFacts
from lti_tool.lti.roles import Access

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Plain settings: these tests touch no database (the suite's `settings` would run them per backend)."""
    return Settings.from_env(env={}, instance_path=str(tmp_path), database_url="sqlite://",
                             cache_url=f"file://{tmp_path / 'cache'}", secret_key="facts-test-secret-" + "x" * 24)


def claims(fixture: str = "02_id_token_student_resource_link.json", **changes: object) -> dict:
    return fixture_claims(fixture, **changes)


def facts(settings: Settings, body: dict) -> LaunchFacts:
    return LaunchFacts.from_claims(body, platform_id=7, deployment_id=3, settings=settings, now=NOW,
                                   launch_id="a" * 32)


def test_a_moodle_student_launch(settings: Settings) -> None:
    body = claims()
    found = facts(settings, body)
    assert found.access is Access.LEARNER and found.locale == "en"
    assert found.course is not None and found.course.context_id == "2" and found.course.title == "Training 101"
    assert (found.course.link_deployment_id, found.course.resource_link_id) == (0, "")
    assert found.course.ags_scopes == body[Claim.AGS]["scope"]
    assert found.placement is not None
    assert (found.placement.resource_link_id, found.placement.module_id, found.placement.country) == ("1", "m01", "GD")
    assert found.placement.lineitem_url == body[Claim.AGS]["lineitem"]
    assert (found.person.sub, found.person.name, found.person.email) == ("4", "Gina Grenada", "student1@example.com")
    assert not found.person.profile_country_given  # the fixture's custom has no person_country
    assert found.nonce_expires_at == datetime.fromtimestamp(body["exp"], timezone.utc) + timedelta(
        seconds=settings.clock_leeway)
    assert found.expires_at == NOW + timedelta(seconds=settings.launch_ttl)
    assert set(found.kept_claims) <= {str(c) for c in Claim} and Claim.CUSTOM in found.kept_claims
    assert "sub" not in found.kept_claims and "email" not in found.kept_claims


def test_a_launch_without_a_context_gets_a_course_per_resource_link(settings: Settings) -> None:
    found = facts(settings, claims(**{Claim.CONTEXT: DROP}))
    assert found.course is not None
    assert (found.course.context_id, found.course.link_deployment_id, found.course.resource_link_id) == ("", 3, "1")
    assert found.course.title == "Module 01 (embedded)"  # named after its link: it has no course title


def test_a_deep_linking_request_without_a_context_belongs_to_no_course(settings: Settings) -> None:
    found = facts(settings, claims("07_id_token_deep_linking_request.json", **{Claim.CONTEXT: DROP}))
    assert found.course is None and found.placement is None
    assert found.access is Access.FACILITATOR


@pytest.mark.parametrize(
    ("custom", "given", "country", "problems"),
    [
        ({"person_country": "gd"}, True, "GD", 0),
        ({"person_country": ""}, True, None, 0),                         # Moodle: the profile has no country
        ({"person_country": "$Person.address.country"}, False, None, 0),  # not substituted: says nothing
        ({"person_country": "Grenada"}, False, None, 1),                 # not a code: logged, never stored
        ({"country": "XX", "module": "m04"}, False, None, 1),
    ],
)
def test_custom_countries(settings: Settings, custom: dict, given: bool, country: str | None, problems: int) -> None:
    found = facts(settings, claims(**{Claim.CUSTOM: custom}))
    assert (found.person.profile_country_given, found.person.profile_country) == (given, country)
    assert len(found.problems) == problems


def test_agency_and_language(settings: Settings) -> None:
    found = facts(settings, claims(**{
        Claim.CUSTOM: {"module": " M04 ", "agency": "  Ministry of Labour "},
        Claim.LAUNCH_PRESENTATION: {"locale": "es_mx"},
        Claim.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    }))
    assert found.person.agency == "Ministry of Labour"
    assert found.placement is not None and found.placement.module_id == "m04"
    assert found.locale == "es" and found.access is Access.FACILITATOR
