"""Service URLs in id_token claims (AGS line items, NRPS roster), the LMS's `Link: next` and the
line-item ids it returns are called only on the platform's hosts; a foreign host is never fetched and
never sent a token; error bodies are not shown; https except on loopback; no private addresses."""
from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.wrappers import Response

from grade_helpers import drain
from lti_helpers import FakePlatform
from lti_tool.courses.models import Participant, Placement
from lti_tool.extensions import db
from lti_tool.grades.models import DeliveryStatus, GradeDelivery
from lti_tool.grades.services import ScoreReport, queue_score
from lti_tool.grades.worker import GradeWorker, RetryPolicy
from lti_tool.lms import tokens
from lti_tool.lms.errors import ForbiddenUrl
from lti_tool.lms.hosts import HostPolicy
from lti_tool.lms.transport import fetch
from lti_tool.platforms.models import Platform
from lti_tool.platforms.services import edit_platform
from security_support import (AGS, LINEITEM_SCOPE, NRPS, SCORE_SCOPE, PlatformServices, Recorder, launched,
                              staff)


@pytest.fixture
def worker(app: Flask) -> GradeWorker:
    tokens.reset_memory()
    return GradeWorker(app, batch=50, lease=5, policy=RetryPolicy(base=0.01, cap=0.05))


def owe(app: Flask, platform: FakePlatform, sub: str) -> int:
    """A score owed for `sub`'s latest placement on this platform."""
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        participant = db.session.scalar(select(Participant).where(Participant.platform_id == platform_id,
                                                                  Participant.sub == sub))
        placement = db.session.scalar(select(Placement).join(Placement.course).where(
            Placement.course.has(platform_id=platform_id)).order_by(Placement.id.desc()))
        delivery = queue_score(placement, participant, ScoreReport("m01", "Title", 8, 10, True, True, "GD"))
        db.session.commit()
        return delivery.id


def outcome(app: Flask, delivery_id: int) -> GradeDelivery:
    with app.app_context():
        found = db.session.get(GradeDelivery, delivery_id)
        db.session.expunge(found)
        return found


def test_a_foreign_line_item_gets_no_score_and_no_token(app: Flask, launcher, platform: FakePlatform,
                                                        services: PlatformServices, internal: Recorder,
                                                        worker: GradeWorker) -> None:
    foreign = {"scope": [SCORE_SCOPE], "lineitem": internal.url + "/ags/lineitem/1",
               "lineitems": internal.url + "/ags/lineitems"}
    launched(launcher, sub="SSRF-L", **{AGS: foreign})
    delivery_id = owe(app, platform, "SSRF-L")
    drain(worker)
    row = outcome(app, delivery_id)
    assert row.status == DeliveryStatus.FAILED
    assert internal.host_port in row.last_error and "registered hosts" in row.last_error
    assert internal.requests == []          # never fetched
    assert services.token_requests == 0     # no token was even asked for


def test_a_foreign_line_item_claim_is_ignored_for_the_platforms_own_columns(
        app: Flask, launcher, platform: FakePlatform, services: PlatformServices, internal: Recorder,
        worker: GradeWorker, key_server) -> None:
    key_server.routes["/" + platform.slug + "/lineitems"] = lambda request: Response(
        json.dumps([{"id": services.lineitem, "resourceId": "m01", "resourceLinkId": "1"}]),
        mimetype="application/json")
    ags = {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitem": internal.url + "/ags/lineitem/1",
           "lineitems": services.base + "/lineitems"}
    launched(launcher, sub="SSRF-L2", **{AGS: ags})
    delivery_id = owe(app, platform, "SSRF-L2")
    drain(worker)
    assert outcome(app, delivery_id).status == DeliveryStatus.DELIVERED
    assert [s["userId"] for s in services.scores] == ["SSRF-L2"]
    assert internal.requests == []


def test_a_line_item_id_the_lms_returns_on_a_foreign_host_is_not_used(
        app: Flask, launcher, platform: FakePlatform, services: PlatformServices, internal: Recorder,
        worker: GradeWorker, key_server) -> None:
    key_server.routes["/" + platform.slug + "/lineitems"] = lambda request: Response(
        json.dumps([{"id": internal.url + "/lineitem/9", "resourceId": "m01", "resourceLinkId": "1"}]),
        mimetype="application/json")
    launched(launcher, sub="SSRF-L3", **{AGS: {"scope": [SCORE_SCOPE], "lineitems": services.base + "/lineitems"}})
    delivery_id = owe(app, platform, "SSRF-L3")
    drain(worker)
    row = outcome(app, delivery_id)
    # the foreign column is ignored (with a warning), never called: the score waits for a usable column
    assert row.status == DeliveryStatus.NO_COLUMN and "no gradebook column" in row.last_error
    assert internal.requests == []


def test_a_foreign_roster_is_not_read_and_its_body_never_shown(launcher, services: PlatformServices,
                                                               internal: Recorder) -> None:
    facilitator = staff(launcher, sub="SSRF-F", **{NRPS: {"context_memberships_url": internal.url + "/nrps"}})
    page = facilitator.get("/facilitator/")
    assert page.status_code == 200
    assert "outside its registered hosts" in page.text
    assert "AKIAEXAMPLESECRET" not in page.text
    assert internal.requests == [] and services.token_requests == 0


def test_a_roster_next_link_to_a_foreign_host_is_not_followed(launcher, services: PlatformServices,
                                                              internal: Recorder) -> None:
    services.members = [{"user_id": "R-1", "name": "Roster Person", "roles": ["Learner"], "status": "Active"}]
    services.next_link = internal.url + "/nrps?page=2"
    facilitator = staff(launcher, sub="SSRF-F2", **{NRPS: {"context_memberships_url": services.memberships}})
    page = facilitator.get("/facilitator/")
    assert page.status_code == 200
    assert "registered hosts" in page.text  # the roster is partial, and says why
    assert internal.requests == []
    assert services.token_requests == 1


def test_an_operator_can_allow_a_service_host(app: Flask, launcher, platform: FakePlatform,
                                              services: PlatformServices, internal: Recorder) -> None:
    internal.routes["/nrps"] = lambda request: Response(json.dumps({"members": [
        {"user_id": "C-1", "name": "Canvas Person", "roles": ["Learner"], "status": "Active"}]}),
        mimetype="application/json")
    with app.app_context():
        edit_platform(platform.issuer, platform.client_id, service_hosts=[internal.host_port])
        db.session.commit()
    facilitator = staff(launcher, sub="SVC-F", **{NRPS: {"context_memberships_url": internal.url + "/nrps"}})
    page = facilitator.get("/facilitator/")
    assert "Canvas Person" in page.text
    assert [r["authorization"] for r in internal.requests] == ["Bearer tok-1"]


def test_error_bodies_are_not_shown_but_the_lms_reason_is(platform: FakePlatform, internal: Recorder) -> None:
    policy = HostPolicy.for_urls("Test LMS", [platform.issuer], [internal.host_port])
    answer = fetch("GET", internal.url + "/anything", policy, what="a test")
    from lti_tool.lms.client import describe_refusal

    assert answer.status == 403
    assert describe_refusal(answer.status, answer.reason, answer.body) == "HTTP 403"
    internal.routes["/moodle"] = lambda request: _moodle_refusal()
    refused = fetch("POST", internal.url + "/moodle", policy, what="a test")
    assert describe_refusal(refused.status, refused.reason, refused.body) == "HTTP 400 (Incorrect score received)"


def _moodle_refusal() -> Response:
    response = Response(b"[]", mimetype="application/json")
    response.status = "400 Incorrect score received"
    return response


@pytest.mark.parametrize(("url", "problem"), [
    ("http://lms.example.org/ags", "plain http"),                   # https only, except loopback
    ("https://lms.example.org.evil.test/ags", "registered hosts"),  # a look-alike host
    ("https://lms.example.org:8443/ags", "registered hosts"),       # another port of the same host
    ("https://user:pw@lms.example.org/ags", "user name"),
    ("file:///etc/passwd", "absolute http(s)"),
])
def test_the_host_policy_refuses(url: str, problem: str) -> None:
    policy = HostPolicy.for_urls("Moodle", ["https://lms.example.org", "https://lms.example.org/mod/lti/token.php"])
    with pytest.raises(ForbiddenUrl) as refused:
        policy.check(url, "the course roster")
    assert problem in refused.value.reason
    assert policy.check("https://lms.example.org/mod/lti/services.php/2/lineitems", "x")


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "192.168.1.1", "127.0.0.1"])
def test_no_private_or_link_local_address_unless_the_platform_lives_on_one(address: str) -> None:
    """Refused before any connection: the address is checked after resolution, before connect()."""
    public = HostPolicy.for_urls("Public LMS", ["https://93.184.215.14/moodle"], [address])
    with pytest.raises(ForbiddenUrl) as refused:
        fetch("GET", f"https://{address}/mod/lti/services.php", public, what="the course roster")
    assert "resolves to an address the tool does not call" in refused.value.reason and address in refused.value.reason
    # an LMS registered on a private (or loopback) address may use that kind of address
    assert HostPolicy.for_urls("Intranet LMS", [f"https://{address}/moodle"]).allowed_kinds(
        "link-local" if address.startswith("169.254") else "loopback" if address.startswith("127.") else "private")
