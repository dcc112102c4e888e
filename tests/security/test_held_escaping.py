"""Kept working (regression tests): every LMS-supplied value is escaped on every page; SQL-looking values are
stored literally; path traversal in module and page ids finds nothing."""
from __future__ import annotations

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lti_helpers import FakePlatform, Launcher
from lti_tool.courses.models import Course, Participant
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from security_support import ADMIN, CONTEXT, RESOURCE_LINK, launched, staff

XSS = "\"><script>alert(1)</script><img src=x onerror=alert(2)>{{7*7}}${7*7}"
TOOL_PLATFORM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"



def test_lms_values_are_escaped_on_every_page(launcher: Launcher) -> None:
    hostile = {"name": XSS, "email": XSS + "@x.example", CONTEXT: {"id": "XSS-C", "title": XSS, "label": XSS},
               RESOURCE_LINK: {"id": "XSS-RL", "title": XSS}, TOOL_PLATFORM: {"name": XSS, "guid": "g"},
               PRESENTATION: {"locale": XSS}}
    learner = launched(launcher, sub="XSS-L", custom={"agency": XSS, "person_country": XSS}, **hostile)
    facilitator = staff(launcher, sub="XSS-F", **{CONTEXT: hostile[CONTEXT]})
    admin = staff(launcher, ADMIN, sub="XSS-A")
    pages = [learner.get("/m/m01/"), learner.get("/m/m01/quiz"), learner.get("/about-you?next=" + XSS),
             facilitator.get("/facilitator/"), facilitator.get("/facilitator/modules?unknown=" + XSS),
             facilitator.get("/facilitator/questions/m01"), admin.get("/admin/?by=agency"),
             learner.get("/m/" + XSS + "/"), learner.get("/m/m01/p/" + XSS)]
    for page in pages:
        assert page.status_code in (200, 303, 400, 404), page.url
        assert "<script>alert(1)</script>" not in page.text, page.url
        assert "<img src=x onerror=alert(2)>" not in page.text, page.url


def test_an_unknown_custom_module_is_escaped(launcher: Launcher) -> None:
    learner = launched(launcher, module=XSS[:30], sub="XSS-M")
    page = learner.get("/")
    assert "<script>" not in page.text


@pytest.mark.parametrize("value", ["' OR '1'='1", "1; DROP TABLE participant;--", "x' UNION SELECT secret_key--"])
def test_sql_looking_values_are_stored_literally(app: Flask, launcher: Launcher, platform: FakePlatform,
                                                 value: str) -> None:
    launched(launcher, sub=value, name=value, **{CONTEXT: {"id": value, "title": value}})
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        person = db.session.scalar(select(Participant).where(Participant.platform_id == platform_id,
                                                             Participant.sub == value))
        course = db.session.scalar(select(Course).where(Course.platform_id == platform_id, Course.context_id == value))
        assert person.name == value and course.title == value
        assert db.session.scalar(select(db.func.count()).select_from(Participant)) >= 1  # the table is intact
    facilitator = staff(launcher, sub="SQL-F", **{CONTEXT: {"id": value, "title": value}})
    assert facilitator.get("/facilitator/", params={"page": value}).status_code == 200


@pytest.mark.parametrize("path", ["/m/..%2f..%2fetc%2fpasswd/", "/m/m01/p/../../../../etc/passwd",
                                  "/m/m01/p/%2e%2e%2f%2e%2e%2fsecret_key", "/m/m01%00/", "/m/%252e%252e/"])
def test_path_traversal_finds_nothing(launcher: Launcher, path: str) -> None:
    learner = launched(launcher, sub="PATH-L")
    answer = requests.get(learner.base + path, timeout=10)
    assert answer.status_code == 404
    assert "root:" not in answer.text


def test_static_files_stay_in_their_folder(launcher: Launcher) -> None:
    for path in ("/static/..%2f..%2fpyproject.toml", "/static/../lti_tool/config.py"):
        assert requests.get(launcher.tool_url + path, timeout=10).status_code == 404
