"""Kept working (regression tests): role checks on every staff route and action, isolation between courses and
between platforms, and launch references that cannot be tampered with, outlive their TTL or survive
an erasure or a platform's removal."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select

from lti_helpers import FakePlatform, KeyServer, Launcher
from lti_tool.cli import main
from lti_tool.courses.models import Participant
from lti_tool.extensions import db
from lti_tool.lti.models import Launch
from lti_tool.platforms.models import Platform
from security_support import csrf, register, ADMIN, CONTEXT, launched, staff

STAFF_GETS = ["/facilitator/", "/facilitator/export.csv", "/facilitator/learner/1", "/facilitator/questions/m01",
              "/facilitator/modules", "/facilitator/deep-link"]
ADMIN_GETS = ["/admin/", "/admin/report.csv"]



def test_a_learner_reaches_no_staff_page_or_action(launcher: Launcher) -> None:
    learner = launched(launcher, sub="AUTH-L")
    for path in STAFF_GETS + ADMIN_GETS:
        assert learner.get(path).status_code == 403, path
    token = csrf(learner.get("/m/m01/").text)
    assert learner.post("/facilitator/grades/resend", {"csrf_token": token, "scope": "all"}).status_code == 403
    assert learner.post("/facilitator/deep-link", {"csrf_token": token, "modules": "m01"}).status_code == 403


def test_a_facilitator_reaches_no_admin_page(launcher: Launcher) -> None:
    facilitator = staff(launcher, sub="AUTH-F")
    for path in ADMIN_GETS:
        assert facilitator.get(path).status_code == 403, path


def test_courses_are_isolated(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    course_a, course_b = {"id": "A-1", "title": "Course A"}, {"id": "B-1", "title": "Course B"}
    launched(launcher, sub="ISO-A", name="Alice in A", **{CONTEXT: course_a})
    launched(launcher, sub="ISO-B", name="Bob in B", **{CONTEXT: course_b})
    facilitator_a = staff(launcher, sub="ISO-FA", **{CONTEXT: course_a})
    board = facilitator_a.get("/facilitator/").text
    assert "Alice in A" in board and "Bob in B" not in board
    assert "Bob in B" not in facilitator_a.get("/facilitator/export.csv").text
    with app.app_context():
        bob = db.session.scalar(select(Participant.id).join(Platform).where(
            Platform.issuer == platform.issuer, Participant.sub == "ISO-B"))
    assert facilitator_a.get(f"/facilitator/learner/{bob}").status_code == 404
    token = csrf(facilitator_a.get("/m/m01/").text)  # the launch's token (every form of it carries the same)
    assert facilitator_a.post("/facilitator/grades/resend", {"csrf_token": token, "scope": "one",
                                                             "delivery_id": "999999"}).status_code == 404
    # a token of another launch is refused
    facilitator_b = staff(launcher, sub="ISO-FB", **{CONTEXT: course_b})
    assert facilitator_b.post("/facilitator/grades/resend", {"csrf_token": token, "scope": "all"}).status_code == 400


def test_platforms_are_isolated(app: Flask, launcher: Launcher, key_server: KeyServer, tool_server) -> None:
    other = FakePlatform(key_server, tool_server.url)
    register(app, other)
    launched(Launcher(tool_server.url, other), sub="OTHER-L", name="Other platform person")
    launched(launcher, sub="OWN-L", name="Own platform person")
    admin = staff(launcher, ADMIN, sub="ISO-ADMIN")
    report = admin.get("/admin/").text
    assert admin.get("/admin/").status_code == 200
    facilitator = staff(launcher, sub="ISO-F2")
    assert "Other platform person" not in facilitator.get("/facilitator/").text
    assert "Other platform person" not in report


@pytest.mark.parametrize("tamper", [
    lambda ref: ref[:-2],                                    # truncated signature
    lambda ref: ref.split(".")[0].upper() + "." + ref.split(".", 1)[1],   # upper-cased id
    lambda ref: ref.split(".")[0],                           # no timestamp or signature
    lambda ref: ref + ".x",                                  # extra segment
    lambda ref: ref + "%20",                                 # a trailing space
    lambda ref: ref + "%0a",                                 # a trailing newline
])
def test_a_tampered_reference_is_refused(launcher: Launcher, tamper) -> None:
    learner = launched(launcher, sub="REF-1")
    assert requests.get(f"{launcher.tool_url}/l/{tamper(learner.ref)}/m/m01/", timeout=10).status_code == 401


def test_another_launchs_id_under_ones_own_signature_is_refused(launcher: Launcher) -> None:
    mine, theirs = launched(launcher, sub="REF-2"), launched(launcher, sub="REF-3")
    forged = theirs.ref.split(".")[0] + "." + mine.ref.split(".", 1)[1]
    assert requests.get(f"{launcher.tool_url}/l/{forged}/m/m01/", timeout=10).status_code == 401


def test_references_expire_and_die_with_an_erasure_or_the_platform(app: Flask, launcher: Launcher,
                                                                     platform: FakePlatform) -> None:
    expired, erased, removed = (launched(launcher, sub=sub) for sub in ("REF-EXP", "REF-ERASE", "REF-RM"))
    with app.app_context():
        row = db.session.get(Launch, expired.ref.split(".")[0])
        row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    assert expired.get("/m/m01/").status_code == 401
    run = CliRunner().invoke
    assert run(main, ["participants", "erase", "--issuer", platform.issuer, "--user-id", "REF-ERASE", "--yes"],
               obj=ScriptInfo(create_app=lambda: app)).exit_code == 0
    assert erased.get("/m/m01/").status_code == 401
    assert removed.get("/m/m01/").status_code == 200
    assert run(main, ["platform", "remove", "--issuer", platform.issuer, "--client-id", platform.client_id, "--yes"],
               obj=ScriptInfo(create_app=lambda: app)).exit_code == 0
    assert removed.get("/m/m01/").status_code == 401
