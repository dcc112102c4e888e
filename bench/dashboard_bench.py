"""Facilitator dashboard server time at 500 participants x 20 modules (docs/design.md section 7: < 300 ms).

Seeds a fresh database (SQLite by default, or --database-url) with one course, 20 placed modules,
500 learners, a progress row, a completion and a grade delivery for most (learner, module) pairs,
then times each page (the course overview /l/<ref>/facilitator/ by default; --path adds others,
e.g. /facilitator/m/m01/ for a module's class) through Flask's test client: wall time (server time,
no network) and the process's CPU time, which a busy shared machine disturbs less.

    python bench/dashboard_bench.py [--participants 500] [--modules 20] [--requests 30] [--database-url URL]
                                    [--path /facilitator/ --path /facilitator/m/m01/]
"""
from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import yaml


def make_catalogue(folder: Path, count: int) -> Path:
    """`count` outline modules (the dashboard needs ids, titles and page counts, not prose)."""
    for i in range(1, count + 1):
        module = folder / f"m{i:02d}"
        module.mkdir(parents=True)
        (module / "module.yaml").write_text(yaml.safe_dump({
            "id": f"m{i:02d}", "order": i, "section": "thematic", "status": "outline", "minutes": 30,
            "title": {"en": f"Benchmark module {i}"}, "summary": {"en": "A module for the dashboard benchmark."},
            "objectives": {"en": ["Explain one thing.", "Describe another.", "Apply a third."]},
        }, sort_keys=False))
    return folder


def seed(app, participants: int, modules: int) -> str:
    from lti_tool.courses.models import Completion, Course, Enrolment, Participant, Placement
    from lti_tool.extensions import db
    from lti_tool.grades.models import DeliveryStatus, GradeDelivery
    from lti_tool.lti.models import Launch
    from lti_tool.models_base import utcnow
    from lti_tool.platforms.models import Deployment, Platform
    from lti_tool.progress.models import Progress
    from lti_tool.runtime import runtime

    rng = random.Random(7)
    with app.app_context():
        platform = Platform(issuer="https://lms.bench", client_id="bench", name="Bench LMS",
                            auth_login_url="https://lms.bench/auth", auth_token_url="https://lms.bench/token",
                            key_set_url="https://lms.bench/jwks")
        platform.deployments.append(Deployment(deployment_id="1"))
        db.session.add(platform)
        db.session.flush()
        course = Course(platform_id=platform.id, deployment_id=platform.deployments[0].id, context_id="bench",
                        label="BENCH", title="Dashboard benchmark", lineitems_url="https://lms.bench/lineitems")
        db.session.add(course)
        db.session.flush()
        placements = [Placement(course_id=course.id, resource_link_id=f"rl{i}", module_id=f"m{i:02d}",
                                title=f"Module {i}", lineitem_url=f"https://lms.bench/li/{i}") for i in range(1, modules + 1)]
        db.session.add_all(placements)
        facilitator = Participant(platform_id=platform.id, sub="fac", name="Facilitator")
        db.session.add(facilitator)
        db.session.flush()
        db.session.add(Enrolment(course_id=course.id, participant_id=facilitator.id, role="facilitator"))
        countries = ["AG", "GD", "VC", None]
        now = utcnow()
        people = [Participant(platform_id=platform.id, sub=f"u{i}", name=f"Learner {i:03d}", email=f"u{i}@bench")
                  for i in range(participants)]
        db.session.add_all(people)
        db.session.flush()
        db.session.add_all(Enrolment(course_id=course.id, participant_id=p.id, role="learner",
                                     profile_country=countries[i % 4]) for i, p in enumerate(people))
        for i, p in enumerate(people):
            for placement in placements:
                roll = rng.random()
                if roll < 0.15:
                    continue
                done = roll > 0.5
                db.session.add(Progress(course_id=course.id, participant_id=p.id, module_id=placement.module_id,
                                        pages_seen=["a", "b", "c"][: rng.randint(1, 3)], started_at=now,
                                        last_seen_at=now, completed_at=now if done else None,
                                        best_percent=rng.randint(40, 100) if done else None, passed=done))
                if done:
                    db.session.add(Completion(course_id=course.id, participant_id=p.id, placement_id=placement.id,
                                              module_id=placement.module_id, country=countries[i % 4],
                                              country_source="profile", passed=True, percent=80))
                    db.session.add(GradeDelivery(
                        course_id=course.id, module_id=placement.module_id,
                        placement_id=placement.id, participant_id=p.id, score={"scoreGiven": 8, "scoreMaximum": 10},
                        score_timestamp=now, status=rng.choice(list(DeliveryStatus)[:3]), next_attempt_at=now))
            db.session.flush()
        launch = Launch(id=secrets.token_hex(16), platform_id=platform.id, deployment_id=course.deployment_id,
                        course_id=course.id, participant_id=facilitator.id, message_type="LtiResourceLinkRequest",
                        role="facilitator", locale="en", claims={}, created_at=now, expires_at=now + timedelta(hours=4))
        db.session.add(launch)
        db.session.commit()
        return runtime(app).refs.issue(launch.id)


def time_page(client, url: str, label: str, requests: int) -> None:
    first = client.get(url)
    assert first.status_code == 200, first.status_code
    timings, cpu = [], []
    for _ in range(requests):
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert response.status_code == 200
    timings.sort()
    cpu.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"{label}: {len(first.data) / 1024:.0f} KB of HTML; server time over {requests} requests: "
          f"p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, max {timings[-1]:.0f} ms; "
          f"CPU p50 {statistics.median(cpu):.0f} ms "
          f"(budget: under 300 ms) -> {'OK' if p95 < 300 else 'OVER BUDGET'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--path", action="append", default=None,
                        help="page under /l/<ref> to time (repeatable; default /facilitator/)")
    args = parser.parse_args()

    from lti_tool.app import create_app
    from lti_tool.cli import init_database
    from lti_tool.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        catalogue = make_catalogue(Path(tmp) / "modules", args.modules)
        settings = Settings.from_env(env={}, instance_path=str(Path(tmp) / "instance"), modules_path=str(catalogue),
                                     database_url=args.database_url, embedded_worker=False)
        app = create_app(settings)
        init_database(app)
        started = time.perf_counter()
        ref = seed(app, args.participants, args.modules)
        print(f"seeded {args.participants} participants x {args.modules} modules in {time.perf_counter() - started:.1f} s "
              f"({settings.database_url.split(':', 1)[0]})")
        client = app.test_client()
        for path in args.path or ["/facilitator/"]:
            time_page(client, f"/l/{ref}{path}", path, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
