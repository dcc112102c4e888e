"""Grade columns found or created, the NRPS roster with paging, and repair from the facilitator's pages."""
from __future__ import annotations

import re

import requests
from flask import Flask
from sqlalchemy import select

from grade_helpers import drain
from e2e_support import browse_launch
from lti_helpers import launch_base
from lti_tool.courses.models import Completion, Course, Participant, Placement
from lti_tool.courses.roster import course_roster
from lti_tool.extensions import db
from lti_tool.lms import tokens
from lti_tool.grades.models import DeliveryStatus, GradeDelivery
from lti_tool.grades.services import ScoreReport, queue_score
from lti_tool.lms.tokens import TokenSource
from lti_tool.lti.claims import NRPS_SCOPE
from lti_tool.lms.client import PlatformClient
from lti_tool.lms.hosts import HostPolicy
from lti_tool.platforms.models import Platform

LEARNER_AG, FACILITATOR = "4", "3"


def tool_rows(app: Flask, lms, lms_placement: str, sub: str) -> tuple[int, int]:
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == lms.url))
        placement = db.session.scalar(select(Placement).join(Placement.course).where(
            Placement.resource_link_id == lms_placement, Placement.course.has(platform_id=platform_id)))
        participant = db.session.scalar(select(Participant).where(Participant.platform_id == platform_id,
                                                                  Participant.sub == sub))
        return placement.id, participant.id


def owe(app: Flask, placement_id: int, participant_id: int, points: int = 6) -> int:
    with app.app_context():
        delivery = queue_score(db.session.get(Placement, placement_id), db.session.get(Participant, participant_id),
                               ScoreReport("m13", "Trafficking in Persons and Migrant Smuggling", points, 10, True, False, "AG"))
        db.session.commit()
        return delivery.id


def test_a_placement_without_line_item_gets_one_created(app: Flask, lms, worker) -> None:
    placement = lms.lms.state.add_placement("Ungraded m13", {"module": "m13"})  # no grade column in the LMS
    browse_launch(lms, LEARNER_AG, placement.id)
    placement_id, participant_id = tool_rows(app, lms, placement.id, LEARNER_AG)
    with app.app_context():
        assert db.session.get(Placement, placement_id).lineitem_url is None
    owe(app, placement_id, participant_id)
    drain(worker)
    with app.app_context():
        created = db.session.get(Placement, placement_id).lineitem_url
    assert created
    with lms.lms.state.lock:
        items = [i for i in lms.lms.state.line_items.values() if i.resource_link_id == placement.id]
    assert len(items) == 1 and items[0].resource_id == "m13" and items[0].tag == "emm2"
    assert items[0].score_maximum == 100
    # a second score finds the same column instead of creating another one
    owe(app, placement_id, participant_id, points=9)
    drain(worker)
    with lms.lms.state.lock:
        assert len([i for i in lms.lms.state.line_items.values() if i.resource_link_id == placement.id]) == 1
        assert lms.lms.state.scores[(items[0].id, LEARNER_AG)].received["scoreGiven"] == 9


def test_roster_pages_are_followed(app: Flask, lms) -> None:
    browse_launch(lms, LEARNER_AG, next(iter(lms.lms.state.placements)))
    tokens.reset_memory()
    with app.app_context():
        course = db.session.scalar(select(Course).join(Platform).where(Platform.issuer == lms.url))
        client = PlatformClient(HostPolicy.for_platform(db.session.get(Platform, course.platform_id)),
                                TokenSource(app, course.platform_id))
        members = list(client.memberships(course.memberships_url, (NRPS_SCOPE,), limit=2))
        assert len({m["user_id"] for m in members}) == len(members) >= 4   # 3 learners + facilitator, 2 a page
        roster = course_roster(course)
        assert roster.problem is None
        learners = {m.user_id for m in roster.members if m.access.name == "LEARNER"}
        assert {"4", "5", "6"} <= learners


def test_facilitator_sees_a_failure_and_sends_it_again(app: Flask, lms, worker) -> None:
    placement = lms.lms.add_placement("m13", "Repair m13")
    browse_launch(lms, LEARNER_AG, placement.id)
    placement_id, participant_id = tool_rows(app, lms, placement.id, LEARNER_AG)
    lms.lms.set_switches(score_fail_percent=100)
    delivery_id = owe(app, placement_id, participant_id)
    worker.run_once()
    with app.app_context():  # make it a permanent failure as the LMS could report it
        row = db.session.get(GradeDelivery, delivery_id)
        row.status, row.last_error = DeliveryStatus.FAILED, "HTTP 400: Incorrect score received"
        db.session.commit()
    lms.lms.set_switches(score_fail_percent=0)

    facilitator = browse_launch(lms, FACILITATOR, placement.id)
    base = "/".join(facilitator.url.split("/")[:5])
    board = requests.get(base + "/facilitator/", timeout=10)
    assert "Grades: 1 failed" in board.text or "failed" in board.text
    detail = requests.get(f"{base}/facilitator/learner/{participant_id}", timeout=10)
    assert detail.status_code == 200 and "Incorrect score received" in detail.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', detail.text).group(1)
    sent = requests.post(base + "/facilitator/grades/resend", data={"csrf_token": token, "delivery_id": delivery_id},
                         allow_redirects=False, timeout=10)
    assert sent.status_code == 303 and "resent=1" in sent.headers["Location"]
    drain(worker)
    with app.app_context():
        assert db.session.get(GradeDelivery, delivery_id).status == DeliveryStatus.DELIVERED


def test_a_facilitator_cannot_touch_another_course(app: Flask, lms, demo_lms, launcher, worker) -> None:
    # a delivery in the demo course, and a facilitator of a different platform's course
    placement = lms.lms.add_placement("m13", "Isolation m13")
    browse_launch(lms, LEARNER_AG, placement.id)
    delivery_id = owe(app, *tool_rows(app, lms, placement.id, LEARNER_AG))
    other = launcher.launch("03_id_token_teacher_resource_link.json")
    base = launch_base(other)
    page = requests.get(launcher.tool_url + base + "/facilitator/", timeout=10)
    assert page.status_code == 200 and "Isolation m13" not in page.text and "Keisha" not in page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    data = {"csrf_token": token.group(1) if token else "", "delivery_id": delivery_id}
    refused = requests.post(launcher.tool_url + base + "/facilitator/grades/resend", data=data, timeout=10)
    assert refused.status_code in (400, 404)
    assert requests.get(launcher.tool_url + base + f"/facilitator/learner/{tool_rows(app, lms, placement.id, LEARNER_AG)[1]}",
                        timeout=10).status_code == 404


def test_admin_report_covers_only_its_own_lms(app: Flask, lms, launcher, make_targets) -> None:
    (target,) = make_targets(1)  # a learner launched in the demo LMS's course (not left to earlier tests)
    with app.app_context():  # a completion in the demo LMS's course, counted for Grenada
        course = db.session.scalar(select(Course).join(Platform).where(Platform.issuer == lms.url))
        someone = db.session.get(Participant, target.participant_id)
        db.session.add(Completion(course_id=course.id, participant_id=someone.id, module_id="m99",
                                  country="GD", country_source="profile", passed=True))
        db.session.commit()
    admin = launcher.launch("06_id_token_admin_resource_link.json")   # an admin of another LMS
    report = requests.get(launcher.tool_url + launch_base(admin) + "/admin/", timeout=10)
    assert report.status_code == 200
    assert "m99" not in report.text
