"""Numbers a learner can trust, and right answers at the right time, over real HTTP: one rounded
percentage on the result page, the dashboard, the completion record and the gradebook comment;
correct answers after a pass or the last attempt (or always, when the module says so)."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import requests
from flask import Flask
from sqlalchemy import select

from e2e_support import browse_launch, launch_base
from grade_helpers import drain
from learner_helpers import Learner, answer_form, submit_quiz
from lti_helpers import Launcher
from lti_helpers import launch_base as launch_prefix
from lti_tool.courses.models import Completion, Participant
from lti_tool.extensions import db
from lti_tool.lms import tokens
from lti_tool.grades.worker import GradeWorker, RetryPolicy
from lti_tool.quizzes.engine import Paper

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
T91_PAGES = ["intro", "details", "in-practice"]


def t91_form(app: Flask, key: str) -> list[tuple[str, str]]:
    """t91 answered right except q02 (2 points) and one 1-point question: 8 of 11 points, 72.73 %."""
    from learner_helpers import attempt_by_key
    from lti_tool.runtime import runtime

    right = answer_form(app, "t91", key, correct=True)
    wrong = answer_form(app, "t91", key, correct=False)
    attempt, _ = attempt_by_key(app, key)
    order = [q.id for q in Paper.from_dict(attempt.paper).questions]
    with app.app_context():
        quiz = runtime(app).catalogue.get("t91").quiz("en")
    missed = {"q02", next(q for q in order if q != "q02" and quiz.question(q).points == 1)}
    pick = lambda fields, keep: [(n, v) for n, v in fields if (n.split("-")[1] in missed) == keep]  # noqa: E731
    return pick(right, False) + pick(wrong, True)


def test_one_rounded_percentage_everywhere(app: Flask, demo_lms, tool_server) -> None:
    placement = demo_lms.lms.add_placement("t91", "Fixture module t91")
    learner = Learner.from_page(browse_launch(demo_lms, "6", placement.id))   # Shanice, VC
    learner.read_all(T91_PAGES, "t91")
    page, hidden = learner.open_quiz("t91")
    sent = learner.post("/m/t91/quiz", list(hidden.items()) + t91_form(app, hidden["attempt"]))
    result = learner.http.get(urljoin(learner.base + "/", sent.headers["Location"]), timeout=10).text
    assert '<p class="big">73%</p>' in result          # 72.73 % rounded, not cut to 72
    assert "8 of 11 points" in result and "Passed" in result and "Module completed" in result

    tokens.reset_memory()
    drain(GradeWorker(app, policy=RetryPolicy(0.01, 0.05)))
    with demo_lms.lms.state.lock:
        item = demo_lms.lms.state.placements[placement.id].line_item_id
        comment = demo_lms.lms.state.scores[(item, "6")].received["comment"]
    assert comment == ("t91 Fixture quiz module — completed, 8/11 (73%), passed — "
                       "Saint Vincent and the Grenadines (VC)")
    with app.app_context():
        assert db.session.scalar(select(Completion.percent).join(Participant, Participant.id == Completion.participant_id)
                                 .where(Completion.module_id == "t91", Participant.sub == "6")) == 73
    board = requests.get(launch_base(browse_launch(demo_lms, "3", placement.id)) + "/facilitator/", timeout=10).text
    assert '<td class="st-completed">done 73%</td>' in board
    assert "73%" in learner.get("/m/t91/").text and ">72%" not in learner.get("/m/t91/").text


def test_correct_answers_wait_for_the_last_attempt(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)     # m01: show_answers after_last_attempt (the default)
    for number in (1, 2, 3):
        sent = submit_quiz(learner, app, correct=False)
        html = learner.http.get(urljoin(learner.base + "/", sent.headers["Location"]), timeout=10).text
        assert html.count('class="review review-incorrect"') == 10
        if number < 3:
            assert "Correct answer" not in html and "Explanation:" not in html
            assert "The correct answers are shown once you pass the quiz or have used your last attempt." in html
            assert "Your answer" in html   # their own answers, and the feedback on their choices, still show
        else:
            assert html.count("<dt>Correct answer</dt>") + html.count('<th scope="col">Correct answer</th>') == 10
            assert html.count("Explanation:") == 10


def test_a_module_may_show_the_answers_always(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher, module="t91")
    sent = submit_quiz(learner, app, "t91", correct=False)
    html = learner.http.get(urljoin(learner.base + "/", sent.headers["Location"]), timeout=10).text
    assert "Correct answer" in html and html.count("Explanation:") == 10
    assert "The correct answers are shown once" not in html


def test_french_result_page_typography_and_plurals(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher, **{PRESENTATION: {"locale": "fr"}})
    learner.read("migration-today")
    overview = learner.get("/m/m01/").text
    assert "1 page lue sur 5" in overview and "1 étape terminée sur 6" in overview
    assert "1 pages lues" not in overview and "1 étapes" not in overview
    sent = submit_quiz(learner, app, correct=False)
    html = learner.http.get(urljoin(learner.base + "/", sent.headers["Location"]), timeout=10).text
    assert "<h1>Votre résultat\u00a0: tentative 1</h1>" in html
    assert "Lire toutes les pages (1 lue sur 5)" in html


def test_english_plurals_on_staff_pages(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    submit_quiz(learner, app)
    teacher = launcher.launch("03_id_token_teacher_resource_link.json")
    base = launcher.tool_url + launch_prefix(teacher)
    board = requests.get(base + "/facilitator/", timeout=10).text
    for figure in ("<strong>1</strong> person<", "<strong>1</strong> module start<", "<strong>0</strong> completions<"):
        assert figure in board
    admin = launcher.launch("06_id_token_admin_resource_link.json")
    report = requests.get(launcher.tool_url + launch_prefix(admin) + "/admin/", timeout=10).text
    assert re.search(r"<strong>1</strong> course</li>\s*<li><strong>\d+</strong> (person|people)</li>\s*"
                     r"<li><strong>0</strong> module completions</li>", report)
