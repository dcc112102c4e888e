"""The demo's past cohort: three countries, checks before and after, seeded once."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from facilitator_support import facilitator, text
from lti_helpers import Launcher
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.gain.checks import options
from lti_tool.gain.demo_seed import seed_demo_cohort
from lti_tool.gain.figures import ALL, gain_report
from lti_tool.platforms.models import Platform
from lti_tool.runtime import runtime


def test_the_demo_course_shows_gain_by_country(app: Flask, launcher: Launcher) -> None:
    staff = facilitator(launcher, "F1")      # the course exists, as the demo course does once launched
    with app.app_context():
        course = db.session.scalar(select(Course).join(Platform, Platform.id == Course.platform_id)
                                   .where(Platform.issuer == launcher.platform.issuer))
        catalogue = runtime(app).catalogue
        assert seed_demo_cohort(course.platform_id, course.context_id, "DEMO", "Demo", ["m01", "m02"], catalogue)
        db.session.commit()
        assert not seed_demo_cohort(course.platform_id, course.context_id, "DEMO", "Demo", ["m01", "m02"], catalogue)
        report = gain_report([course.id])
        assert options(course.id).knowledge_checks
    assert report.country_keys == ["AG", "GD", "VC", ALL]
    everyone = report.countries[ALL]
    assert (everyone.before.n, everyone.after.n, everyone.paired) == (15, 12, 12)
    assert everyone.points is not None and everyone.points > 0
    assert {m for m, _n in report.objectives[ALL]} == {"m01", "m02"}
    assert "Grenada (GD)" in text(staff.get("/facilitator/gain").text)
