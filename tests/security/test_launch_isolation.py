"""Launches do not leak across courses: no shared course for launches without a context, and one
course's custom parameters never change what another course shows about a person."""
from __future__ import annotations

import requests
from flask import Flask
from sqlalchemy import select

from lti_helpers import DROP, FakePlatform, Launcher, launch_base
from lti_tool.courses.models import Course, Placement
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform

CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
TEACHER = "03_id_token_teacher_resource_link.json"


def ref_of(response: requests.Response) -> str:
    return launch_base(response)


def dashboard(launcher: Launcher, base: str, page: str = "") -> str:
    response = requests.get(f"{launcher.tool_url}{base}/facilitator/{page}", timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_launches_without_a_context_get_a_course_per_resource_link(
        app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    learner = launcher.launch(**{CONTEXT: DROP, LINK: {"id": "site-page-a", "title": "Site page A"},
                                 CUSTOM: {"module": "m01"}})
    ref_of(learner)
    other_teacher = ref_of(launcher.launch(TEACHER, **{CONTEXT: DROP, LINK: {"id": "user-page-b"},
                                                       CUSTOM: {"module": "m01"}}))
    assert "Gina Grenada" not in dashboard(launcher, other_teacher)
    assert "student1@example.com" not in dashboard(launcher, other_teacher, "export.csv")
    # the same link's teacher does see the learner: one course per (deployment, resource link)
    same_link_teacher = ref_of(launcher.launch(TEACHER, **{CONTEXT: DROP, LINK: {"id": "site-page-a",
                                                                                  "title": "Site page A"},
                                                           CUSTOM: {"module": "m01"}}))
    assert "Gina Grenada" in dashboard(launcher, same_link_teacher)
    assert "student1@example.com" in dashboard(launcher, same_link_teacher, "export.csv")
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        courses = {link: db.session.scalar(select(Placement.course_id).join(Course).where(
            Course.platform_id == platform_id, Placement.resource_link_id == link))
            for link in ("site-page-a", "user-page-b")}
        assert courses["site-page-a"] != courses["user-page-b"]
        course = db.session.get(Course, courses["site-page-a"])
        assert (course.context_id, course.resource_link_id, course.title) == ("", "site-page-a", "Site page A")


def test_one_courses_custom_parameters_do_not_overwrite_another_courses_view_of_a_person(
        launcher: Launcher) -> None:
    course_y = {CONTEXT: {"id": "course-y", "label": "Y", "title": "Course Y"}, LINK: {"id": "y-m01"}}
    course_x = {CONTEXT: {"id": "course-x", "label": "X", "title": "Course X"}, LINK: {"id": "x-m01"}}
    ref_of(launcher.launch(**course_y, **{CUSTOM: {"module": "m01", "agency": "Ministry of Labour",
                                                   "person_country": "GD"}}))
    # a teacher of course X sets the activity's custom parameters, and the learner launches it
    hostile = '=HYPERLINK("https://evil.example","open")'
    ref_of(launcher.launch(**course_x, **{CUSTOM: {"module": "m01", "agency": hostile, "person_country": "KP"}}))

    teacher_y = ref_of(launcher.launch(TEACHER, **course_y, **{CUSTOM: {"module": "m01"}}))
    export_y = dashboard(launcher, teacher_y, "export.csv")
    learner_y = next(line for line in export_y.splitlines() if "student1@example.com" in line)
    assert "Ministry of Labour" in learner_y and ",GD," in learner_y
    assert "HYPERLINK" not in export_y and ",KP," not in export_y
    # course X keeps what its own launches said
    teacher_x = ref_of(launcher.launch(TEACHER, **course_x, **{CUSTOM: {"module": "m01"}}))
    learner_x = next(line for line in dashboard(launcher, teacher_x, "export.csv").splitlines()
                     if "student1@example.com" in line)
    assert ",KP," in learner_x
