"""A module completed anywhere scores in its own column: m01's last page links to m02, and an m02
attempt taken inside m01's activity reaches the course's m02 column, with the country of the
placement that receives it. Each test has a demo LMS of its own (its own course), over real HTTP."""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from e2e_support import DemoLmsServer, browse_launch, deep_link, launch_base
from grade_helpers import drain
from learner_helpers import Learner, complete_module
from lti_tool.courses.models import Completion, Course, Participant, Placement
from lti_tool.demo_lms import DEFAULT_PLACEMENTS
from lti_tool.extensions import db
from lti_tool.grades.models import DeliveryStatus, GradeDelivery
from lti_tool.platforms.models import Platform

KEISHA_AG, MARCUS_GD, FACILITATOR, ADMIN = "4", "5", "3", "2"
M02 = "m02 International Migration Law"


@pytest.fixture
def fresh_lms(app: Flask, tool_server, tmp_path) -> Iterator[DemoLmsServer]:
    """A demo LMS (and so a course) of this test's own, without the demo's m02 activity: no other test
    places modules in it."""
    server = DemoLmsServer(app, tool_server.url, tmp_path / "lms",
                           placements=tuple(p for p in DEFAULT_PLACEMENTS if p.module != "m02"))
    yield server
    server.stop()


@pytest.fixture
def shipped_demo(app: Flask, tool_server, tmp_path) -> Iterator[DemoLmsServer]:
    """The demo LMS exactly as `emm-lti demo` starts it."""
    server = DemoLmsServer(app, tool_server.url, tmp_path / "demo")
    yield server
    server.stop()


def lms_placement(lms: DemoLmsServer, module: str) -> str:
    with lms.lms.state.lock:
        return next(p.id for p in lms.lms.state.placements.values() if p.module == module)


def m02_through_m01(lms: DemoLmsServer, app: Flask, sub: str = KEISHA_AG) -> Learner:
    """A learner launched from m01's activity follows its last page's link to m02 and passes m02 there."""
    learner = Learner.from_page(browse_launch(lms, sub, lms_placement(lms, "m01")))
    last = learner.get("/m/m01/p/eastern-caribbean")
    href = re.search(r'href="([^"]+)">International Migration Law</a>', last.text).group(1)
    landed = learner.http.get(urljoin(last.url, href), timeout=10)
    assert landed.url == learner.base + "/m/m02/"
    assert complete_module(learner, app, "m02").status_code == 303
    return learner


def m02_scores(lms: DemoLmsServer) -> dict[str, dict]:
    """Scores received on the LMS's m02 columns (found by resourceId or by the placement's module), by user."""
    with lms.lms.state.lock:
        m02_links = {p.id for p in lms.lms.state.placements.values() if p.module == "m02"}
        items = {i.id for i in lms.lms.state.line_items.values()
                 if i.resource_id == "m02" or i.resource_link_id in m02_links}
        return {user: record.received for (item, user), record in lms.lms.state.scores.items() if item in items}


def all_scores_of(lms: DemoLmsServer, user: str) -> list[str]:
    with lms.lms.state.lock:
        return [item for (item, who) in lms.lms.state.scores if who == user]


def tool_rows(app: Flask, lms: DemoLmsServer, sub: str) -> tuple[Completion | None, list[GradeDelivery]]:
    with app.app_context():
        course = db.session.scalar(select(Course).join(Platform).where(Platform.issuer == lms.url))
        person = db.session.scalar(select(Participant).where(Participant.platform_id == course.platform_id,
                                                             Participant.sub == sub))
        completion = db.session.scalar(select(Completion).where(
            Completion.course_id == course.id, Completion.participant_id == person.id, Completion.module_id == "m02"))
        deliveries = list(db.session.scalars(select(GradeDelivery).where(
            GradeDelivery.course_id == course.id, GradeDelivery.participant_id == person.id,
            GradeDelivery.module_id == "m02").order_by(GradeDelivery.id)))
        db.session.expunge_all()
        return completion, deliveries


def test_the_demo_as_shipped_m02_passed_inside_m01_lands_in_the_m02_column(app: Flask, shipped_demo, worker) -> None:
    """`emm-lti demo`: Keisha opens m01, follows its link to m02 and passes it; the demo gradebook's m02
    column (added by Deep Linking, never launched) has her score, counted for her profile's country."""
    m02_through_m01(shipped_demo, app)
    drain(worker)
    with shipped_demo.lms.state.lock:
        m02 = shipped_demo.lms.state.placements[lms_placement(shipped_demo, "m02")].line_item_id
        sent = shipped_demo.lms.state.scores[(m02, KEISHA_AG)].received
    assert sent["comment"] == (f"{M02} — completed, {sent['scoreGiven']}/{sent['scoreMaximum']} (100%), passed — "
                               "Antigua and Barbuda (AG)")
    assert len(all_scores_of(shipped_demo, KEISHA_AG)) == 1
    gradebook = requests.get(shipped_demo.url + "/gradebook", timeout=10).text
    assert "Module 02 — International Migration Law" in gradebook and f"{M02} — completed" in gradebook


def test_m02_passed_inside_m01_reaches_the_m02_column_with_its_country(app: Flask, fresh_lms, worker) -> None:
    """The demo story: the facilitator adds m02 for the Saint Vincent cohort; Keisha, launched from
    m01, follows the link and passes m02; the gradebook's m02 column has it, counted for VC."""
    deep_link(fresh_lms, ["m02"], country="VC")
    m02_through_m01(fresh_lms, app)
    drain(worker)

    sent = m02_scores(fresh_lms)[KEISHA_AG]
    assert sent["activityProgress"] == "Completed" and sent["scoreGiven"] == sent["scoreMaximum"]
    assert sent["comment"] == (f"{M02} — completed, {sent['scoreGiven']}/{sent['scoreMaximum']} (100%), passed — "
                               "Saint Vincent and the Grenadines (VC)")
    assert len(all_scores_of(fresh_lms, KEISHA_AG)) == 1   # nothing landed in m01's column
    gradebook = requests.get(fresh_lms.url + "/gradebook", timeout=10).text
    assert "Saint Vincent and the Grenadines (VC)" in gradebook

    completion, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert (completion.country, completion.country_source) == ("VC", "activity")
    assert [d.status for d in deliveries] == [DeliveryStatus.DELIVERED]

    admin = launch_base(browse_launch(fresh_lms, ADMIN, lms_placement(fresh_lms, "m01")))
    report = requests.get(admin + "/admin/", timeout=10).text
    # by country: Keisha's m02 completion counts for VC (the activity's country), once
    assert re.search(r'Saint Vincent and the Grenadines \(VC\)</th>\s*<td class="num">1</td><td class="num">1</td>'
                     r'<td class="num">1</td>', report)
    facilitator = launch_base(browse_launch(fresh_lms, FACILITATOR, lms_placement(fresh_lms, "m01")))
    board = requests.get(facilitator + "/facilitator/", timeout=10).text
    participant_id = re.search(r'/facilitator/learner/(\d+)">Keisha Joseph', board).group(1)
    page = requests.get(f"{facilitator}/facilitator/learner/{participant_id}", timeout=10).text
    assert re.search(r'International Migration Law</span></a></th>\s*<td><span class="st st-completed">completed.*?Sent',
                     page, re.DOTALL)


def test_without_a_column_the_score_is_kept_shown_and_sent_once_a_deep_link_adds_one(
        app: Flask, fresh_lms, worker) -> None:
    m02_through_m01(fresh_lms, app)
    drain(worker)
    assert m02_scores(fresh_lms) == {}
    completion, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert [(d.status, d.last_error) for d in deliveries] == [
        (DeliveryStatus.NO_COLUMN, "no gradebook column in this course")]
    assert deliveries[0].placement_id is None
    assert (completion.country, completion.country_source, completion.placement_id) == ("AG", "profile", None)

    facilitator = launch_base(browse_launch(fresh_lms, FACILITATOR, lms_placement(fresh_lms, "m01")))
    board = requests.get(facilitator + "/facilitator/", timeout=10).text
    assert "1 score is kept because this course has no gradebook column for its module yet" in board
    participant_id = re.search(r'/facilitator/learner/(\d+)">Keisha Joseph', board).group(1)
    page = requests.get(f"{facilitator}/facilitator/learner/{participant_id}", timeout=10).text
    assert "Kept: no gradebook column in this course." in page

    deep_link(fresh_lms, ["m02"], country="VC")   # the column appears: the kept score goes to it
    drain(worker)
    sent = m02_scores(fresh_lms)[KEISHA_AG]
    assert sent["comment"].endswith("passed — Saint Vincent and the Grenadines (VC)")
    completion, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert (completion.country, completion.country_source) == ("VC", "activity")
    assert [d.status for d in deliveries] == [DeliveryStatus.SUPERSEDED, DeliveryStatus.DELIVERED]


def test_a_launch_of_the_modules_own_activity_delivers_the_kept_score(app: Flask, fresh_lms, worker) -> None:
    m02_through_m01(fresh_lms, app)
    drain(worker)
    assert [d.status for d in tool_rows(app, fresh_lms, KEISHA_AG)[1]] == [DeliveryStatus.NO_COLUMN]
    # a teacher adds an m02 activity for Grenada by hand; nobody has opened it yet, so the tool cannot know
    activity = fresh_lms.lms.add_placement("m02", "Module 02 (Grenada)", country="GD")
    drain(worker)
    assert m02_scores(fresh_lms) == {}
    browse_launch(fresh_lms, MARCUS_GD, activity.id)   # someone opens it: now the course has its column
    drain(worker)
    with fresh_lms.lms.state.lock:
        item = fresh_lms.lms.state.placements[activity.id].line_item_id
        sent = fresh_lms.lms.state.scores[(item, KEISHA_AG)].received
    assert sent["comment"].endswith("passed — Grenada (GD)")
    completion, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert (completion.country, completion.country_source) == ("GD", "activity")
    assert deliveries[-1].status == DeliveryStatus.DELIVERED and deliveries[-1].placement_id is not None


def test_without_a_placement_the_column_is_found_by_resource_id(app: Flask, fresh_lms, worker) -> None:
    # a column for m02 that the LMS has (made by an earlier tool or an admin), with no activity the tool knows
    with fresh_lms.lms.state.lock:
        from lti_tool.demo_lms.state import LineItem

        item = LineItem(id=fresh_lms.lms.state.new_id("line_item"), label="EMM2.0 m02", score_maximum=100,
                        resource_id="m02", tag="emm2")
        fresh_lms.lms.state.line_items[item.id] = item
    m02_through_m01(fresh_lms, app)
    drain(worker)
    with fresh_lms.lms.state.lock:
        sent = fresh_lms.lms.state.scores[(item.id, KEISHA_AG)].received
    assert sent["comment"].endswith("passed — Antigua and Barbuda (AG)")   # no activity country: her profile
    completion, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert (completion.country, completion.country_source) == ("AG", "profile")
    assert deliveries[-1].status == DeliveryStatus.DELIVERED and deliveries[-1].lineitem_url.endswith(
        f"/lineitems/{item.id}/lineitem?type_id=1")


def test_a_placement_without_a_column_waits_when_the_lms_does_not_let_the_tool_create_one(
        app: Flask, fresh_lms, worker) -> None:
    activity = fresh_lms.lms.state.add_placement("Ungraded m02", {"module": "m02"})   # no grade column
    learner = Learner.from_page(browse_launch(fresh_lms, KEISHA_AG, activity.id))
    with app.app_context():   # the LMS grants the score scope only (no column management)
        course = db.session.scalar(select(Course).join(Platform).where(Platform.issuer == fresh_lms.url))
        course.ags_scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/score",
                             "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"]
        platform_id = course.platform_id
        db.session.commit()
    complete_module(learner, app, "m02")
    drain(worker)
    _, deliveries = tool_rows(app, fresh_lms, KEISHA_AG)
    assert deliveries[-1].status == DeliveryStatus.NO_COLUMN
    assert deliveries[-1].last_error == ("no gradebook column in this course: the activity has none and the LMS "
                                         "does not let the tool create one")
    with app.app_context():
        assert db.session.scalar(select(Placement.lineitem_url).where(
            Placement.resource_link_id == activity.id, Placement.course.has(platform_id=platform_id))) is None
    with fresh_lms.lms.state.lock:
        assert not [i for i in fresh_lms.lms.state.line_items.values() if i.resource_id == "m02"]
