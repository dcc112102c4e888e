"""`participants export` includes the person's launch rows; `participants erase` also drops the
cached LMS rosters (names and emails) of their courses; purge drops expired cache entries."""
from __future__ import annotations

import json

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from lti_helpers import FakePlatform
from lti_tool.cli import main
from lti_tool.courses.models import Enrolment, Participant
from lti_tool.extensions import db
from lti_tool.platforms.models import Platform
from lti_tool.runtime import runtime
from security_support import CUSTOM, NRPS, PlatformServices, launched, staff


def cli(app: Flask, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_export_includes_launches(app: Flask, launcher, platform: FakePlatform) -> None:
    launched(launcher, sub="PD-1", **{CUSTOM: {"module": "m01", "agency": "Labour", "person_country": "GD"}})
    exported = cli(app, "participants", "export", "--issuer", platform.issuer, "--user-id", "PD-1")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    (launch,) = data["launches"]
    assert launch["role"] == "learner"
    assert launch["claims"][CUSTOM] == {"module": "m01", "agency": "Labour", "person_country": "GD"}


def test_erase_drops_the_cached_roster(app: Flask, launcher, platform: FakePlatform,
                                       services: PlatformServices) -> None:
    services.members = [{"user_id": user, "name": name, "email": email, "roles": ["Learner"], "status": "Active"}
                        for user, name, email in (("PD-2", "Pat Erased", "pat@example.org"),
                                                  ("PD-9", "Kim Roster", "kim@example.org"))]
    nrps = {NRPS: {"context_memberships_url": services.memberships}}
    launched(launcher, sub="PD-2", **nrps)
    # Kim never launched: only the LMS roster knows her, and it is now cached
    assert "Kim Roster" in staff(launcher, sub="PD-F", **nrps).get("/facilitator/").text
    with app.app_context():
        course_id = db.session.scalar(select(Enrolment.course_id).join(Participant).join(Platform).where(
            Platform.issuer == platform.issuer, Participant.sub == "PD-2"))
    store = runtime(app).state_store
    assert "kim@example.org" in json.dumps(store.get(f"roster:{course_id}"))
    erased = cli(app, "participants", "erase", "--issuer", platform.issuer, "--user-id", "PD-2", "--yes")
    assert erased.exit_code == 0, erased.output
    assert store.get(f"roster:{course_id}") is None
