"""A small production stack for fault tests: PostgreSQL, `emm-lti serve` (gunicorn, 2 workers),
`emm-lti worker` processes, the demo LMS; and a learner who launches and submits a quiz through it."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from sqlalchemy import select

from e2e_support import browse_launch
from learner_helpers import Learner, answer_form
from process_support import DemoLms, Process, ToolServer, grade_worker, tool_env, wait_for
from lti_tool.app import create_app
from lti_tool.cli import init_database
from lti_tool.config import Settings
from lti_tool.courses.models import Participant, Placement
from lti_tool.extensions import db
from lti_tool.grades.models import DeliveryStatus, GradeDelivery
from lti_tool.platforms.services import PlatformSpec, register_platform

#: modules with a quiz: a learner has 3 attempts per module, so each new grade column takes the next one
QUIZ_MODULES = ("m01", "m02", "m03", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12", "m13", "m14", "m15", "m16")
LEARNERS = ("4", "5", "6")
#: short retries, so a fault test takes seconds (production: 2 s doubling up to an hour)
FAST = {"grade_retry_base": 0.05, "grade_retry_cap": 0.5, "grade_lease": 2}


@dataclass
class Submission:
    """A learner's quiz form, filled in before any fault, so it can be posted during one and again after."""

    learner: Learner
    sub: str
    placement: str
    module: str
    data: list[tuple[str, str]]

    def post(self) -> requests.Response:
        return self.learner.post(f"/m/{self.module}/quiz", self.data)


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    app: Flask
    lms: DemoLms
    web: ToolServer
    workers: list[Process] = field(default_factory=list)
    #: placement id -> its module
    modules: dict[str, str] = field(default_factory=dict)

    def launch(self, sub: str, placement: str) -> Learner:
        page = browse_launch(self.lms, sub, placement)
        assert page.status_code == 200, page.text[:300]
        ref = urlsplit(page.url).path.split("/")[2]
        return Learner(base=f"{self.web.url}/l/{ref}", tool_url=self.web.url)

    def try_launch(self, sub: str, placement: str) -> requests.Response:
        """login → LMS auth → form post, as a browser without JavaScript; the first answer that is not
        the expected step (or the launch's own answer)."""
        import re
        from html import unescape

        http = requests.Session()
        login = http.get(self.lms.lms.login_url(sub, placement, platform_storage=False), allow_redirects=False,
                         timeout=10)
        if login.status_code != 302:
            return login
        auth = http.get(login.headers["Location"], timeout=10)
        action = unescape(re.search(r'<form[^>]*action="([^"]+)"', auth.text).group(1))
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', auth.text))
        return requests.post(action, data={k: unescape(v) for k, v in fields.items()},
                             cookies={c.name: c.value for c in http.cookies}, allow_redirects=False, timeout=10)

    def quiz_form(self, sub: str, placement: str) -> Submission:
        module = self.modules[placement]
        learner = self.launch(sub, placement)
        _, hidden = learner.open_quiz(module)
        data = list(hidden.items()) + answer_form(self.app, module, hidden["attempt"], correct=True)
        return Submission(learner, sub, placement, module, data)

    def placement(self) -> str:
        """A new activity with its grade column, for a module these learners have not taken here yet."""
        module = QUIZ_MODULES[len(self.modules) % len(QUIZ_MODULES)]
        placement = self.lms.lms.add_placement(module, f"Fault test {secrets.token_hex(3)}").id
        self.modules[placement] = module
        return placement

    def start_worker(self, *extra: str, env: dict[str, str] | None = None) -> Process:
        """An `emm-lti worker` process, returned once it polls the queue."""
        worker = grade_worker(env or self.env, self.root, *extra, name=f"worker{len(self.workers) + 1}").start()
        self.workers.append(worker)

        def polling() -> bool:
            assert worker.alive(), worker.log()[-2000:]
            return "grade worker" in worker.log() and "started" in worker.log()

        wait_for(polling, 60, f"{worker.name} polling", every=0.1)
        return worker

    def stat(self, name: str) -> int:
        """A demo LMS counter (token_requests, score_posts, score_conflicts, score_failures …)."""
        return self.lms.lms.stats.get(name, 0)

    def deliveries(self) -> list[GradeDelivery]:
        with self.app.app_context():
            try:
                rows = list(db.session.scalars(select(GradeDelivery).order_by(GradeDelivery.id)))
                db.session.expunge_all()
                return rows
            finally:
                db.session.remove()

    def wait_delivered(self, count: int, timeout: float = 30) -> list[GradeDelivery]:
        def done() -> list[GradeDelivery] | None:
            rows = [r for r in self.deliveries() if r.status != DeliveryStatus.SUPERSEDED]
            if len(rows) >= count and all(r.status == DeliveryStatus.DELIVERED for r in rows):
                return rows
            return None

        return wait_for(done, timeout, f"{count} scores delivered", every=0.2)

    def assert_each_score_stored_once(self, rows: list[GradeDelivery]) -> None:
        """Every score the tool owed is in the LMS once, with the timestamp it was given when it was owed,
        and nothing else was stored in those grade columns."""
        with self.lms.lms.state.lock:
            items = {p.id: p.line_item_id for p in self.lms.lms.state.placements.values()}
        expected: dict[tuple[str, str], list[str]] = {}
        with self.app.app_context():
            for row in rows:
                placement = db.session.get(Placement, row.placement_id)
                participant = db.session.get(Participant, row.participant_id)
                expected.setdefault((items[placement.resource_link_id], participant.sub), []).append(row.score["timestamp"])
            db.session.remove()
        columns = {item for item, _ in expected}
        stored = {key: value for key, value in self.lms.scores.stored.items() if key[0] in columns}
        assert stored == expected

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.web.stop()
        self.lms.stop()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def build_stack(root: Path, database_url: str, *, cache_url: str | None = None, web_workers: int = 2,
                **settings: Any) -> Stack:
    """Register the demo LMS, then start `emm-lti serve`; the caller starts grade workers."""
    instance = root / "instance"
    values: dict[str, Any] = {"instance_path": instance, "database_url": database_url,
                              "secret_key": secrets.token_urlsafe(32), "embedded_worker": "false",
                              "log_format": "json", "access_log": "-", **FAST, **settings}
    if cache_url:
        values["cache_url"] = cache_url
    env = tool_env(**values)
    app = create_app(Settings.from_env(env={k: v for k, v in env.items() if k.startswith("EMM_")}))
    init_database(app)
    web = ToolServer(env, root, workers=web_workers)
    lms = DemoLms(web.url, root / "demo-lms")
    with app.app_context():
        register_platform(PlatformSpec.build(**lms.registration))
        db.session.commit()
        db.session.remove()
    web.start()
    web.wait_ready()
    return Stack(root, env, app, lms, web)


def no_server_errors(response: requests.Response) -> None:
    """What a user may see during a fault: a page with a message and a 503, never a 500 or a traceback."""
    assert response.status_code != 500, response.text[:500]
    assert "Traceback" not in response.text


def readyz(url: str, status: int) -> requests.Response | None:
    """/readyz's answer when it has `status` (None otherwise, or when nothing answers)."""
    try:
        response = requests.get(url + "/readyz", timeout=3)
    except requests.RequestException:
        return None
    return response if response.status_code == status else None
