"""Country of a completion: activity `country` → LMS profile (`person_country`) → learner's choice."""
from __future__ import annotations

import logging

import pytest
from flask import Flask
from sqlalchemy import select

from lti_helpers import FakePlatform, Launcher
from lti_tool.attribution import attribute, custom_country
from lti_tool.courses.models import Enrolment, Participant, Placement
from lti_tool.extensions import db
from lti_tool.grades.services import ScoreReport, comment_for

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"


def rows(app: Flask, platform: FakePlatform, link_id: str) -> tuple[Enrolment, Placement]:
    """The enrolment of user 4 in the course of the placement `link_id`, and that placement."""
    with app.app_context():
        from lti_tool.platforms.models import Platform

        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        participant = db.session.scalar(select(Participant).where(
            Participant.sub == "4", Participant.platform_id == platform_id))
        placement = db.session.scalars(select(Placement).where(Placement.resource_link_id == link_id)
                                       .order_by(Placement.id.desc())).first()
        enrolment = db.session.scalar(select(Enrolment).where(
            Enrolment.participant_id == participant.id, Enrolment.course_id == placement.course_id))
        db.session.expunge_all()
        return enrolment, placement


@pytest.mark.parametrize(
    ("custom", "profile", "activity"),
    [
        ({"module": "m04", "person_country": "GD"}, "GD", None),
        ({"module": "m04", "person_country": "gd", "country": "vc"}, "GD", "VC"),
        ({"module": "m04", "person_country": "$Person.address.country"}, None, None),  # not substituted
        ({"module": "m04", "person_country": ""}, None, None),                          # Moodle: no profile country
        ({"module": "m04", "person_country": "Grenada", "country": "XX"}, None, None),   # refused, never stored
    ],
    ids=["profile", "activity-and-profile", "unsubstituted", "empty", "invalid"],
)
def test_launch_stores_only_valid_codes(app: Flask, launcher: Launcher, platform: FakePlatform,
                                        custom, profile, activity, caplog) -> None:
    link_id = "rl-" + platform.slug
    with caplog.at_level(logging.WARNING, logger="lti_tool.lti.records"):
        response = launcher.launch(**{CUSTOM: custom, LINK: {"id": link_id, "title": "Module 04"}})
    assert response.status_code == 303
    enrolment, placement = rows(app, platform, link_id)
    assert enrolment.profile_country == profile
    assert placement.country == activity
    if custom.get("country") == "XX":
        assert "country='XX' was ignored" in caplog.text and "person_country='Grenada' was ignored" in caplog.text


def test_precedence() -> None:
    assert attribute(activity_country="VC", profile_country="GD", chosen_country="AG", agency=None).source == "activity"
    assert attribute(activity_country=None, profile_country="GD", chosen_country="AG", agency=None).country == "GD"
    assert attribute(activity_country=None, profile_country=None, chosen_country="AG", agency=None).source == "learner"
    assert attribute(activity_country=None, profile_country=None, chosen_country=None, agency="Labour").country is None


def test_custom_country_messages() -> None:
    assert custom_country({"country": " gd "}, "country") == ("GD", None)
    code, problem = custom_country({"country": "ZZ"}, "country")
    assert code is None and problem == "The custom parameter country='ZZ' was ignored: it is not an ISO 3166-1 alpha-2 country code."


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (ScoreReport("m04", "Gender and Migration", 8, 10, True, True, "GD"),
         "m04 Gender and Migration — completed, 8/10 (80%), passed — Grenada (GD)"),
        (ScoreReport("m13", "Trafficking in Persons and Migrant Smuggling", 5, 10, False, False, None),
         "m13 Trafficking in Persons and Migrant Smuggling — submitted, 5/10 (50%), not passed — country not given"),
        (ScoreReport("m16", "Mobility Dimensions of Crises", 7.5, 10, True, True, "VC"),
         "m16 Mobility Dimensions of Crises — completed, 7.5/10 (75%), passed — Saint Vincent and the Grenadines (VC)"),
        # rounded as every page shows it (15.83 % is 16 %), not truncated
        (ScoreReport("m01", "The Global Context of Migration", 1.9, 12, False, False, "AG", 70),
         "m01 The Global Context of Migration — submitted, 1.9/12 (16%), not passed — Antigua and Barbuda (AG)"),
        # below the pass mark never shows as the pass mark: 69.6 % shows 69 %
        (ScoreReport("m01", "The Global Context of Migration", 6.96, 10, False, False, "AG", 70),
         "m01 The Global Context of Migration — submitted, 6.96/10 (69%), not passed — Antigua and Barbuda (AG)"),
    ],
)
def test_gradebook_comment(report: ScoreReport, expected: str) -> None:
    assert comment_for(report) == expected
