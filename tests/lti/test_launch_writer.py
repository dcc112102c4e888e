"""write_launch: the launch's rows through the request's session, the used nonce first."""
from __future__ import annotations

import secrets

import pytest
from flask import Flask
from sqlalchemy import func, select

from lti_helpers import FakePlatform, fixture_claims
from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.lti.models import Launch, UsedNonce
from lti_tool.lti.records import LaunchFacts, write_launch
from lti_tool.models_base import utcnow
from lti_tool.platforms.directory import directory
from lti_tool.runtime import runtime


def test_a_nonce_written_twice_is_refused_and_nothing_else_is_written(app: Flask, platform: FakePlatform) -> None:
    """The unique index on the used nonce is the last line against a replay that raced past the state."""
    nonce = "n-" + secrets.token_hex(8)
    with app.app_context():
        found = directory.find(platform.issuer, platform.client_id)
        claims = fixture_claims("02_id_token_student_resource_link.json", nonce=nonce)

        def facts() -> LaunchFacts:
            return LaunchFacts.from_claims(claims, platform_id=found.id, deployment_id=found.deployments["1"],
                                           settings=runtime(app).settings, now=utcnow())

        first = write_launch(db.session, facts())
        db.session.commit()
        with pytest.raises(LaunchError, match="nonce was seen before"):
            write_launch(db.session, facts())
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(UsedNonce).where(
            UsedNonce.platform_id == found.id, UsedNonce.nonce == nonce)) == 1
        assert db.session.scalar(select(func.count()).select_from(Launch).where(
            Launch.platform_id == found.id)) == 1
        assert db.session.get(Launch, first.launch_id).participant.sub == "4"
