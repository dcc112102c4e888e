"""Staff access follows the LMS: a facilitator launched again as a learner loses staff pages on
old links at once, and a staff link older than EMM_STAFF_TTL is refused with "open the activity again"."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask

from lti_tool.extensions import db
from lti_tool.lti.models import Launch
from security_support import LEARNER, ROLES, launched, staff


def age(app: Flask, ref: str, seconds: int) -> None:
    launch_id = ref.split(".", 1)[0]
    with app.app_context():
        launch = db.session.get(Launch, launch_id)
        launch.created_at = launch.created_at - timedelta(seconds=seconds)
        db.session.commit()


def test_a_demoted_facilitator_loses_staff_pages_on_old_links(launcher) -> None:
    facilitator = staff(launcher, sub="DEMOTE-1")
    assert facilitator.get("/facilitator/").status_code == 200
    assert facilitator.get("/facilitator/export.csv").status_code == 200
    launched(launcher, sub="DEMOTE-1", **{ROLES: LEARNER})  # the LMS now says: learner
    for path in ("/facilitator/", "/facilitator/export.csv", "/facilitator/modules"):
        refused = facilitator.get(path)
        assert refused.status_code == 403
        assert "role in this course has changed" in refused.text
    assert facilitator.get("/m/m01/").status_code == 200  # learner pages still open


def test_a_stale_staff_link_is_refused(app: Flask, launcher) -> None:
    facilitator = staff(launcher, sub="STALE-1")
    staff_ttl = app.config["EMM"].staff_ttl
    assert staff_ttl == 900  # the default: 15 minutes
    age(app, facilitator.ref, staff_ttl - 30)
    assert facilitator.get("/facilitator/").status_code == 200
    age(app, facilitator.ref, 60)
    refused = facilitator.get("/facilitator/export.csv")
    assert refused.status_code == 401
    assert "Open the activity again from your LMS" in refused.text and "15 minutes" in refused.text
    assert facilitator.get("/m/m01/").status_code == 200  # within EMM_LAUNCH_TTL, a learner page is fine


def test_promotion_takes_a_new_launch(launcher) -> None:
    learner = launched(launcher, sub="PROMOTE-1")
    staff(launcher, sub="PROMOTE-1")  # now a facilitator in the course
    assert learner.get("/facilitator/").status_code == 403  # the old learner link stays a learner's
