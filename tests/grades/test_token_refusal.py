"""A token the LMS revokes is replaced once, however many worker processes held it."""
from __future__ import annotations

import time

from flask import Flask

from lti_tool.courses.models import Placement
from lti_tool.extensions import db
from lti_tool.lms import tokens
from lti_tool.grades.models import AccessToken
from lti_tool.lms.client import PlatformClient
from lti_tool.lms.hosts import HostPolicy
from lti_tool.platforms.models import Platform


def test_a_revoked_token_costs_one_request_for_all_processes(app: Flask, lms, make_targets) -> None:
    (target,) = make_targets(1)
    with app.app_context():
        course = db.session.get(Placement, target.placement_id).course
        platform_id, scopes, lineitems_url = course.platform_id, tuple(course.ags_scopes), course.lineitems_url
        db.session.execute(AccessToken.__table__.delete())
        db.session.commit()
    tokens.reset_memory()
    source = tokens.TokenSource(app, platform_id)
    with app.app_context():
        policy = HostPolicy.for_platform(db.session.get(Platform, platform_id))
    client = PlatformClient(policy, source)
    before = lms.lms.stats.get("token_requests", 0)

    held = source(scopes)  # every worker process now holds this token in its memory
    lms.lms.state.tokens.clear()  # the LMS revokes it

    assert client.line_items(lineitems_url, scopes) is not None  # process A: 401, one new token, retried
    replaced = source(scopes)
    assert replaced != held
    # process B still holds the revoked token in its own memory
    tokens.reset_memory()
    with tokens._memory_lock:
        tokens._memory[(platform_id, tokens.scope_key(scopes))] = (held, time.time() + 600)
    assert client.line_items(lineitems_url, scopes) is not None  # 401, then A's new token, no new request
    assert source(scopes) == replaced

    assert lms.lms.stats["token_requests"] - before == 2  # the first token and its one replacement
    with app.app_context():
        row = db.session.query(AccessToken).filter_by(platform_id=platform_id).one()
        assert row.token == replaced


def test_a_refused_token_is_never_handed_out_again(app: Flask, lms, make_targets) -> None:
    (target,) = make_targets(1)
    with app.app_context():
        course = db.session.get(Placement, target.placement_id).course
        platform_id, scopes = course.platform_id, tuple(course.ags_scopes)
    tokens.reset_memory()
    source = tokens.TokenSource(app, platform_id)
    first = source(scopes)
    assert source(scopes) == first  # cached
    assert source(scopes, first) != first  # refused: a new one, from the LMS
