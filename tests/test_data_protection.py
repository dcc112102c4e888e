"""Retention and a person's rights: expired launches go; one person's data can be exported and erased."""
from __future__ import annotations

import json
from datetime import timedelta

import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from lti_helpers import FakePlatform, Launcher
from lti_tool.cli import main
from lti_tool.courses.models import Participant
from lti_tool.extensions import db
from lti_tool.lti.models import Launch, UsedNonce
from lti_tool.models_base import utcnow


def cli(app: Flask, *args: str):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def test_purge_removes_expired_launches_only(app: Flask, launcher: Launcher) -> None:
    assert cli(app, "purge").exit_code == 0   # what other tests left expired in this shared database
    kept = launcher.launch()
    expired = launcher.launch()
    with app.app_context():
        ids = db.session.scalars(select(Launch.id).order_by(Launch.created_at.desc()).limit(2)).all()
        db.session.get(Launch, ids[0]).expires_at = utcnow() - timedelta(seconds=1)
        for nonce in db.session.scalars(select(UsedNonce)):
            nonce.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    result = cli(app, "purge")
    assert result.exit_code == 0 and "deleted 1 expired launches" in result.output
    with app.app_context():
        assert db.session.get(Launch, ids[0]) is None and db.session.get(Launch, ids[1]) is not None
        assert db.session.scalar(select(func.count()).select_from(UsedNonce)) == 0
    # the purged launch's link now says the session ended; the other still works
    base = launcher.tool_url
    assert requests.get(base + expired.headers["Location"], timeout=10).status_code == 401
    assert requests.get(base + kept.headers["Location"], timeout=10).status_code == 200


def test_export_and_erase_one_person(app: Flask, launcher: Launcher, platform: FakePlatform) -> None:
    assert launcher.launch().status_code == 303
    exported = cli(app, "participants", "export", "--issuer", platform.issuer, "--user-id", "4")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["participant"]["name"] == "Gina Grenada" and data["enrolments"]
    erased = cli(app, "participants", "erase", "--issuer", platform.issuer, "--user-id", "4", "--yes")
    assert erased.exit_code == 0
    with app.app_context():
        from lti_tool.platforms.models import Platform

        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        assert db.session.scalar(select(Participant).where(Participant.sub == "4",
                                                           Participant.platform_id == platform_id)) is None
        assert db.session.scalar(select(func.count()).select_from(Launch).where(Launch.platform_id == platform_id)) == 0
    missing = cli(app, "participants", "export", "--issuer", platform.issuer, "--user-id", "4")
    assert missing.exit_code == 2 and "no participant with user id '4'" in missing.output


def test_retention_erases_people_not_seen_for_longer_than_the_period(app: Flask, key_server, tool_server) -> None:
    from lti_tool.grades.models import DeliveryStatus, GradeDelivery
    from lti_tool.maintenance import purge_expired
    from lti_tool.platforms.models import Platform
    from lti_tool.platforms.services import PlatformSpec, register_platform

    platform = FakePlatform(key_server, tool_server.url)
    with app.app_context():  # registered as `emm-lti platform add` would
        register_platform(PlatformSpec.build(**platform.registration()))
        db.session.commit()
    launcher = Launcher(tool_server.url, platform)
    for sub in ("old-1", "old-owed", "recent"):
        assert launcher.launch(sub=sub).status_code == 303
    with app.app_context():
        platform_id = db.session.scalar(select(Platform.id).where(Platform.issuer == platform.issuer))
        people = {p.sub: p for p in db.session.scalars(select(Participant).where(Participant.platform_id == platform_id))}
        for sub in ("old-1", "old-owed"):
            people[sub].last_seen_at = utcnow() - timedelta(days=400)
        people["recent"].last_seen_at = utcnow() - timedelta(days=300)
        # a score still waiting for the LMS keeps its person until it is delivered
        course_id = db.session.scalar(select(Launch.course_id).where(Launch.participant_id == people["old-owed"].id))
        from lti_tool.courses.models import Placement

        placement_id = db.session.scalar(select(Placement.id).where(Placement.course_id == course_id))
        db.session.add(GradeDelivery(course_id=course_id, module_id="m01", placement_id=placement_id,
                                     participant_id=people["old-owed"].id,
                                     score={}, score_timestamp=utcnow(), status=DeliveryStatus.PENDING))
        db.session.commit()

        assert purge_expired(retention_days=0).participants == 0  # the default keeps everyone
        purged = purge_expired(retention_days=365)
        db.session.commit()
        left = set(db.session.scalars(select(Participant.sub).where(Participant.platform_id == platform_id)))
    assert purged.participants >= 1
    assert left == {"old-owed", "recent"}


def test_a_bad_retention_setting_is_named() -> None:
    import pytest

    from lti_tool.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="EMM_RETENTION_DAYS must be a whole number"):
        Settings.from_env(env={"EMM_RETENTION_DAYS": "a year"}, instance_path="/tmp/emm-retention-test")
