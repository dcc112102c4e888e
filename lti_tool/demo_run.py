"""`emm-lti demo`: the tool and the demo LMS side by side on loopback, each on its own port."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import make_server

log = logging.getLogger(__name__)


def connect_demo_lms(tool_app: Flask, tool_url: str, lms_url: str, state_dir: Path,
                     placements: tuple | None = None) -> Flask:
    """Build the demo LMS for this tool and register it as a platform (idempotent); `placements`
    replaces the course's default layout (tests)."""
    from .demo_lms import DemoLmsConfig, create_demo_lms
    from .extensions import db
    from .platforms.services import EDITABLE, PlatformSpec, edit_platform, find_platform, register_platform

    layout = {} if placements is None else {"placements": placements}
    lms = create_demo_lms(DemoLmsConfig(base_url=lms_url, tool_base_url=tool_url, state_dir=state_dir, **layout))
    spec = PlatformSpec.build(**lms.extensions["demo_lms"].registration_values())
    with tool_app.app_context():
        if find_platform(spec.issuer, spec.client_id) is None:
            register_platform(spec)
        else:  # the demo LMS of an earlier run: keep it as this run describes it
            edit_platform(spec.issuer, spec.client_id, add_deployment_ids=spec.deployment_ids,
                          **{key: getattr(spec, key) for key in EDITABLE})
        db.session.commit()
    return lms


def seed_demo_course(tool_app: Flask, lms: Flask) -> None:
    """A past cohort's knowledge checks in the demo course, which offers the checks (gain/demo_seed.py)."""
    from .demo_lms.course import COURSE, DEFAULT_PLACEMENTS
    from .extensions import db
    from .gain.demo_seed import seed_demo_cohort
    from .platforms.services import PlatformSpec, find_platform
    from .runtime import runtime

    spec = PlatformSpec.build(**lms.extensions["demo_lms"].registration_values())
    with tool_app.app_context():
        platform = find_platform(spec.issuer, spec.client_id)
        seed_demo_cohort(platform.id, COURSE.id, COURSE.label, COURSE.title, [p.module for p in DEFAULT_PLACEMENTS],
                         runtime().catalogue)
        db.session.commit()


def run_demo(app: Flask, *, host: str, port: int, lms_port: int) -> None:
    """Serve both until Ctrl-C. The LMS uses the name `localhost`, so it is another site than the tool."""
    from .runtime import warm_up

    warm_up(app)  # the curriculum and the state store before the first click
    tool_url = f"http://{host}:{port}"
    lms_url = f"http://localhost:{lms_port}"
    lms = connect_demo_lms(app, tool_url, lms_url, Path(app.instance_path) / "demo-lms")
    seed_demo_course(app, lms)
    servers = [make_server(host, port, app, threaded=True), make_server("127.0.0.1", lms_port, lms, threaded=True)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    from .grades.worker import start_embedded_worker

    _worker, stop_worker = start_embedded_worker(app, idle=0.5)
    click.echo(f"EMM2.0 tool:  {tool_url}/")
    click.echo(f"Demo LMS:     {lms_url}/   <- open this in your browser")
    click.echo("Press Ctrl-C to stop.")
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        stop_worker.set()
        for server in servers:
            server.shutdown()
