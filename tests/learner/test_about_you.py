"""The learner's own country: asked once, only when neither the activity nor the LMS profile gives one."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import requests
from flask import Flask
from sqlalchemy import select

from lti_helpers import FakePlatform, Launcher
from lti_tool.courses.models import Participant
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def home(launcher: Launcher, **custom: str) -> requests.Response:
    response = launcher.launch(**{CUSTOM: {"module": "m01", **custom}})
    assert response.status_code == 303
    return requests.get(urljoin(response.url, response.headers["Location"]), timeout=10)


def participant(app: Flask, platform: FakePlatform) -> Participant:
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        row = db.session.scalar(select(Participant).where(Participant.platform_id == platform_id))
        db.session.expunge(row)
        return row


def csrf(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def test_asked_once_then_used(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    page = home(launcher, person_country="")
    assert "/about-you" in page.url
    assert "Which country do you work for?" in page.text and "Why we ask" in page.text
    answer = requests.post(page.url, data={"csrf_token": csrf(page), "country": "VC", "agency": "NEMO",
                                           "next": page.url.split("next=")[1].replace("%2F", "/")},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/m/m01/")
    row = participant(app, platform)
    assert row.chosen_country == "VC" and row.agency == "NEMO" and row.country_asked_at is not None
    again = home(launcher, person_country="")
    assert "/about-you" not in again.url and "The Global Context of Migration" in again.text


def test_skipping_is_an_answer(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    page = home(launcher, person_country="$Person.address.country")  # Moodle did not substitute it
    assert "/about-you" in page.url
    answer = requests.post(page.url, data={"csrf_token": csrf(page), "country": ""}, allow_redirects=False,
                           timeout=10)
    assert answer.status_code == 303
    row = participant(app, platform)
    assert row.chosen_country is None and row.country_asked_at is not None
    assert "/about-you" not in home(launcher).url


def test_invalid_country_is_refused(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    page = home(launcher)
    refused = requests.post(page.url, data={"csrf_token": csrf(page), "country": "XX"}, timeout=10)
    assert refused.status_code == 400 and "Not a valid choice" in refused.text
    assert participant(app, platform).country_asked_at is None


def test_not_asked_when_the_lms_gives_a_country(launcher: Launcher) -> None:
    assert "/about-you" not in home(launcher, person_country="GD").url
    assert "/about-you" not in home(launcher, country="AG").url
