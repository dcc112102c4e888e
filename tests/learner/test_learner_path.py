"""The learner's path over real HTTP from a launch: overview, pages, resume, quiz, result, completion."""
from __future__ import annotations

import re
from fractions import Fraction
from html import unescape
from urllib.parse import urljoin

from flask import Flask
from learner_helpers import (
    Learner,
    answer_form,
    attempt_by_key,
    hidden_fields,
    paper_points,
    submit_quiz,
)
from lti_helpers import Launcher
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.progress.models import Attempt, Progress
from lti_tool.quizzes.engine import Paper
from lti_tool.quizzes.scoring import display_percent
from lti_tool.runtime import runtime

M01_PAGES = ["migration-today", "key-terms", "drivers-of-migration", "forms-and-phases", "eastern-caribbean"]


def progress_of(app: Flask, learner: Learner, module: str = "m01") -> Progress | None:
    """The progress row behind a learner's launch (read straight from the database)."""
    from lti_tool.lti.models import Launch

    with app.app_context():
        launch_id = runtime(app).refs.resolve(learner.ref)
        launch = db.session.get(Launch, launch_id)
        row = db.session.scalar(select(Progress).where(
            Progress.course_id == launch.course_id, Progress.participant_id == launch.participant_id,
            Progress.module_id == module))
        db.session.expunge_all()
        return row


def follow(learner: Learner, response) -> str:
    assert response.status_code == 303, (response.status_code, response.text[:800])
    return urljoin(learner.base, response.headers["Location"])


def test_launch_lands_on_the_overview(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher, custom={"person_country": "GD"})  # the LMS gives a country: no question
    page = learner.get("/")
    assert page.status_code == 200
    assert page.url == learner.base + "/m/m01/"
    html = page.text
    assert "<h1>The Global Context of Migration</h1>" in html
    assert "What you will learn" in html and "umbrella term" in html   # objectives
    minutes = runtime(app).catalogue.get("m01").minutes
    assert f"About {minutes} minutes" in html and "5 pages" in html
    assert "A quiz of 10 questions" in html and "pass mark 70%" in html
    assert "Not started" in html and "Start reading" in html
    assert 'href="' + f"/l/{learner.ref}/m/m01/p/migration-today" + '"' in html   # table of contents
    assert 'max="6" value="0"' in html   # 5 pages + the quiz, nothing done
    assert progress_of(app, learner) is None   # looking is not starting


def test_reading_pages_records_progress_and_resume(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    page = learner.get("/m/m01/p/key-terms")
    assert page.status_code == 200
    html = page.text
    assert "Page 2 of 5" in html
    assert f'rel="prev" href="/l/{learner.ref}/m/m01/p/migration-today"' in html
    # "Next" is a form: pressing it at the end of the page is what counts the page as read
    assert f'action="/l/{learner.ref}/m/m01/p/key-terms/read"' in html and 'name="go" value="next"' in html
    assert "This page counts as read when you reach its end and go on." in html
    assert 'aria-current="page"' in html
    learner.get("/m/m01/p/drivers-of-migration")
    learner.get("/m/m01/p/key-terms")
    row = progress_of(app, learner)
    assert row.pages_seen == ["key-terms", "drivers-of-migration"]
    assert row.pages_read == []   # opened, not read
    assert row.last_page_id == "key-terms"
    assert row.started_at is not None and row.completed_at is None

    moved = learner.read("key-terms")
    assert moved.status_code == 303
    assert moved.headers["Location"] == f"/l/{learner.ref}/m/m01/p/drivers-of-migration"
    assert progress_of(app, learner).pages_read == ["key-terms"]
    assert "You have read this page." in learner.get("/m/m01/p/key-terms").text

    overview = learner.get("/m/m01/").text
    assert "Continue where you left off" in overview
    assert f'class="button" href="/l/{learner.ref}/m/m01/p/key-terms"' in overview
    assert "1 of 5 pages read" in overview and "In progress" in overview

    # a new launch of the same person in the same course resumes at the same page
    again = Learner.launch(launcher)
    assert again.ref != learner.ref
    assert f'href="/l/{again.ref}/m/m01/p/key-terms">Continue where you left off' in again.get("/m/m01/").text


def test_a_page_read_by_script_counts_and_answers_json(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    page = learner.get("/m/m01/p/migration-today")
    fields = {**hidden_fields(page.text, "/p/migration-today/read"), "via": "script"}
    answer = learner.post("/m/m01/p/migration-today/read", fields)
    assert answer.status_code == 200 and answer.json() == {"read": True, "completed": False}
    assert progress_of(app, learner).pages_read == ["migration-today"]
    assert learner.post("/m/m01/p/migration-today/read", {**fields, "csrf_token": "forged"}).status_code == 400
    assert learner.post("/m/m01/p/no-such-page/read", fields).status_code == 404
    assert progress_of(app, learner).pages_read == ["migration-today"]


def test_links_inside_pages_resolve_under_the_launch(launcher: Launcher) -> None:
    learner = Learner.launch(launcher)
    page = learner.get("/m/m01/p/migration-today")
    links = re.findall(r'<article.*?</article>', page.text, re.DOTALL)[0]
    relative = [href for href in re.findall(r'href="([^"]+)"', links) if not href.startswith(("http", "#", "mailto"))]
    assert relative, "m01's first page links to other pages"
    for href in relative:
        target = learner.http.get(urljoin(page.url, href), timeout=10)
        assert target.status_code == 200, href
        # other pages and modules, and the glossary entries of the terms the page uses
        assert target.url.startswith((learner.base + "/m/", learner.base + "/glossary/"))


def test_last_page_offers_the_quiz_until_it_is_passed(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    html = learner.get("/m/m01/p/eastern-caribbean").text
    assert "Page 5 of 5" in html
    assert 'name="go" value="quiz"' in html and "Take the quiz" in html
    assert learner.read("eastern-caribbean").headers["Location"] == f"/l/{learner.ref}/m/m01/quiz"
    follow(learner, submit_quiz(learner, app))
    learner.read_all(M01_PAGES)
    after = learner.get("/m/m01/p/eastern-caribbean").text
    assert "Take the quiz" not in after and 'name="go" value="overview"' in after
    assert "Module overview" in after


def test_complete_module_end_to_end(launcher: Launcher, app: Flask, signals) -> None:
    learner = Learner.launch(launcher)
    learner.read_all(M01_PAGES)
    assert progress_of(app, learner).completed_at is None   # pages alone do not complete m01
    response = submit_quiz(learner, app)
    result_url = follow(learner, response)
    assert re.search(r"/m/m01/attempts/\d+$", result_url)
    result = learner.http.get(result_url, timeout=10)
    assert result.status_code == 200
    html = result.text
    with app.app_context():
        total = db.session.scalar(select(Attempt.max_points).join(Progress).where(
            Progress.id == progress_of(app, learner).id))
    assert "100%" in html and "Passed" in html and f"{total} of {total} points" in html
    assert "Module completed" in html
    assert "You have 2 attempts left." in html
    assert html.count('class="review review-correct"') == 10
    assert "Explanation:" in html
    row = progress_of(app, learner)
    assert row.completed_at is not None and row.passed and row.attempts_used == 1
    assert row.best_percent == row.last_percent == row.score_percent == 100.0
    assert len(signals.scored) == 1 and signals.scored[0]["passed"] and signals.scored[0]["completed"]
    assert signals.completed == [{"progress": row.id, "module": "m01", "attempt": signals.scored[0]["attempt"]}]
    overview = learner.get("/m/m01/").text
    assert "Completed" in overview and "Your best quiz score: 100%." in overview
    assert 'max="6" value="6"' in overview


def test_quiz_first_then_last_page_completes(launcher: Launcher, app: Flask, signals) -> None:
    learner = Learner.launch(launcher)
    learner.get("/m/m01/p/migration-today")
    result = learner.http.get(follow(learner, submit_quiz(learner, app)), timeout=10).text
    # passed, pages not read: the checklist says so, and the main button is reading, not the quiz
    assert re.search(r'<li class="todo">.*?Read every page \(0 of 5 read\).*?to do', result, re.DOTALL)
    assert re.search(r'<li class="done">.*?Pass the quiz \(70% or more\).*?done', result, re.DOTALL)
    assert f'<a class="button" href="/l/{learner.ref}/m/m01/p/migration-today">Continue reading</a>' in result
    assert signals.completed == []
    learner.read_all(M01_PAGES[:-1])
    assert signals.completed == []
    done = learner.read("eastern-caribbean")
    assert done.headers["Location"] == f"/l/{learner.ref}/m/m01/?completed=1"
    assert "You have completed this module" in learner.http.get(follow(learner, done), timeout=10).text
    assert len(signals.completed) == 1 and signals.completed[0]["attempt"] is None
    learner.read("eastern-caribbean")
    assert len(signals.completed) == 1   # once only


def test_quiz_page_never_contains_the_answers(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    page, hidden = learner.open_quiz()
    html = unescape(page.text)
    attempt, _ = attempt_by_key(app, hidden["attempt"])
    quiz = runtime(app).catalogue.get("m01").quiz("en")
    paper = Paper.from_dict(attempt.paper)
    assert len(paper.questions) == 10
    assert html.count('<fieldset id="q') == 10 and html.count("<legend>") == 10
    for pq in paper.questions:
        q = quiz.question(pq.id)
        assert q.explanation not in html
        for option in q.options:
            assert option.text in html
            if option.feedback:
                assert option.feedback not in html
        if q.feedback_true:
            assert q.feedback_true not in html
    assert "correct" not in html.lower().replace("incorrect", "")
    form = re.search(r'<form method="post" action="[^"]*/quiz" class="quiz"[^>]*>(.*?)</form>', html, re.DOTALL).group(1)
    values = set(re.findall(r'<(?:input type="(?:radio|checkbox)"|option) [^>]*value="([^"]*)"', form))
    values |= set(re.findall(r'<(?:input type="(?:radio|checkbox)" name="[^"]+"|option) value="([^"]*)"', form))
    assert len(values) > 3
    assert values <= {"", "true", "false"} | {str(n) for n in range(1, 10)}   # screen positions only


def test_reloading_the_quiz_keeps_the_same_attempt(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    first, hidden = learner.open_quiz()
    second, hidden_again = learner.open_quiz()
    assert hidden["attempt"] == hidden_again["attempt"]
    legends = re.findall(r"<legend>.*?</legend>", first.text, re.DOTALL)
    assert legends == re.findall(r"<legend>.*?</legend>", second.text, re.DOTALL)
    assert "Continue your quiz attempt" in learner.get("/m/m01/").text
    row = progress_of(app, learner)
    assert row.attempts_used == 0   # drawing a paper does not use an attempt


def test_attempt_rules_best_counts_and_attempts_run_out(launcher: Launcher, app: Flask, signals) -> None:
    learner = Learner.launch(launcher)
    fail = learner.http.get(follow(learner, submit_quiz(learner, app, correct=False)), timeout=10).text
    assert "0%" in fail and "Not passed" in fail and "You have 2 attempts left." in fail
    assert 'class="review review-incorrect"' in fail and "Take the quiz again" in fail
    best = learner.http.get(follow(learner, submit_quiz(learner, app)), timeout=10).text
    assert "100%" in best and "Passed" in best and "You have 1 attempt left." in best
    worse = learner.http.get(follow(learner, submit_quiz(learner, app, correct=False)), timeout=10).text
    assert "You have no attempts left." in worse and "Take the quiz again" not in worse
    assert "Your best score, which counts: 100%." in worse
    row = progress_of(app, learner)
    assert (row.attempts_used, row.best_percent, row.last_percent, row.score_percent, row.passed) == (3, 100.0, 0.0, 100.0, True)
    assert [s["percent"] for s in signals.scored] == [0.0, 100.0, 0.0]

    closed = learner.get("/m/m01/quiz")
    assert closed.status_code == 409
    assert "No attempts left" in closed.text and "You have used all 3 attempts at this quiz." in closed.text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Attempt).where(Attempt.progress_id == row.id)) == 3


def test_double_submit_records_one_attempt(launcher: Launcher, app: Flask, signals) -> None:
    learner = Learner.launch(launcher)
    _, hidden = learner.open_quiz()
    data = list(hidden.items()) + answer_form(app, "m01", hidden["attempt"])
    first = learner.post("/m/m01/quiz", data)
    second = learner.post("/m/m01/quiz", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert learner.http.get(follow(learner, second), timeout=10).status_code == 200
    row = progress_of(app, learner)
    assert row.attempts_used == 1
    with app.app_context():
        attempts = db.session.scalars(select(Attempt).where(Attempt.progress_id == row.id)).all()
        assert len(attempts) == 1 and attempts[0].submitted_at is not None
    assert len(signals.scored) == 1


def test_concurrent_double_submit_records_one_attempt(launcher: Launcher, app: Flask, signals) -> None:
    from concurrent.futures import ThreadPoolExecutor

    learner = Learner.launch(launcher)
    _, hidden = learner.open_quiz()
    data = list(hidden.items()) + answer_form(app, "m01", hidden["attempt"])
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda _: learner.post("/m/m01/quiz", data), range(4)))
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    row = progress_of(app, learner)
    assert row.attempts_used == 1
    assert len(signals.scored) == 1


def test_answer_that_no_form_offers_is_400_naming_the_question(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    _, hidden = learner.open_quiz()
    attempt, _ = attempt_by_key(app, hidden["attempt"])
    quiz = runtime(app).catalogue.get("m01").quiz("en")
    number, pq = next((n, pq) for n, pq in enumerate(Paper.from_dict(attempt.paper).questions, 1)
                      if quiz.question(pq.id).type.value == "single")
    data = list(hidden.items()) + [(f"q-{pq.id}", "9")]
    response = learner.post("/m/m01/quiz", data)
    assert response.status_code == 400
    assert f"Question {number}:" in response.text and f'href="#q{number}"' in response.text
    assert 'class="question invalid"' in response.text
    unknown = learner.post("/m/m01/quiz", list(hidden.items()) + [("q-nope", "1")])
    assert unknown.status_code == 400 and "The form:" in unknown.text
    assert progress_of(app, learner).attempts_used == 0
    assert attempt_by_key(app, hidden["attempt"])[0].submitted_at is None


def test_same_position_twice_in_an_ordering_question_is_400(launcher: Launcher, app: Flask) -> None:
    quiz = runtime(app).catalogue.get("m01").quiz("en")
    for n in range(20):   # m01 draws 10 of 15 questions: find a learner whose paper has an ordering one
        learner = Learner.launch(launcher, sub=f"orderer-{n}")
        _, hidden = learner.open_quiz()
        attempt, _ = attempt_by_key(app, hidden["attempt"])
        found = [(n, pq) for n, pq in enumerate(Paper.from_dict(attempt.paper).questions, 1)
                 if quiz.question(pq.id).type.value == "ordering"]
        if found:
            break
    number, pq = found[0]
    data = list(hidden.items()) + [(f"q-{pq.id}-1", "1"), (f"q-{pq.id}-2", "1")]
    response = learner.post("/m/m01/quiz", data)
    assert response.status_code == 400
    assert f"Question {number}: each position can be given to only one item." in response.text
    # the learner's choices are kept in the form shown again
    assert response.text.count('value="1" selected') >= 2


def test_unanswered_questions_are_confirmed_before_scoring(launcher: Launcher, app: Flask, signals) -> None:
    learner = Learner.launch(launcher)
    _, hidden = learner.open_quiz()
    answers = answer_form(app, "m01", hidden["attempt"], skip=2)
    first = learner.post("/m/m01/quiz", list(hidden.items()) + answers)
    assert first.status_code == 200
    assert "2 questions have no answer" in first.text
    assert 'href="#q9">Question 9</a>, <a href="#q10">Question 10</a>' in first.text
    assert first.text.count(" checked") >= 1   # what was answered is still answered
    assert signals.scored == []
    again = hidden_fields(first.text)
    assert again["confirm_unanswered"] == "1" and again["attempt"] == hidden["attempt"]
    result = learner.http.get(follow(learner, learner.post("/m/m01/quiz", list(again.items()) + answers)), timeout=10)
    points = paper_points(app, "m01", hidden["attempt"])
    expected = display_percent(Fraction(sum(points[:-2]), sum(points)) * 100, 70)   # the last two unanswered
    assert f"{expected}%" in result.text and "Not answered" in result.text
    assert len(signals.scored) == 1


def test_another_learners_attempt_is_not_found(launcher: Launcher, app: Flask) -> None:
    alice = Learner.launch(launcher)
    result_url = follow(alice, submit_quiz(alice, app))
    attempt_id = result_url.rsplit("/", 1)[1]
    _, alice_form = alice.open_quiz()

    bob = Learner.launch(launcher, sub="bob-77", name="Bob Vincent", email="bob@example.com")
    assert bob.get(f"/m/m01/attempts/{attempt_id}").status_code == 404
    assert bob.get("/m/m01/attempts/999999").status_code == 404
    # Alice's open quiz form, posted from Bob's launch, belongs to nobody Bob knows
    _, bob_form = bob.open_quiz()
    stolen = dict(bob_form, attempt=alice_form["attempt"])
    assert bob.post("/m/m01/quiz", list(stolen.items())).status_code == 404
    overview = bob.get("/m/m01/").text
    assert "Your quiz attempts" not in overview and f"/attempts/{attempt_id}" not in overview
    # and Alice still sees hers
    assert alice.get(f"/m/m01/attempts/{attempt_id}").status_code == 200


def test_progress_is_per_course(launcher: Launcher, app: Flask) -> None:
    here = Learner.launch(launcher)
    here.get("/m/m01/p/key-terms")
    context = {"id": "course-two", "label": "C2", "title": "Another course",
               "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}
    there = Learner.launch(launcher, **{"https://purl.imsglobal.org/spec/lti/claim/context": context})
    assert "Start reading" in there.get("/m/m01/").text
    assert progress_of(app, there) is None and progress_of(app, here) is not None


def test_quiz_form_without_a_valid_token_is_refused(launcher: Launcher, app: Flask) -> None:
    learner = Learner.launch(launcher)
    _, hidden = learner.open_quiz()
    answers = answer_form(app, "m01", hidden["attempt"])
    no_token = learner.post("/m/m01/quiz", [("attempt", hidden["attempt"])] + answers)
    assert no_token.status_code == 400 and "expired or was not sent from this page" in no_token.text
    cross_site = learner.post("/m/m01/quiz", list(hidden.items()) + answers, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 400
    assert progress_of(app, learner).attempts_used == 0


def test_unknown_module_page_and_outline(launcher: Launcher) -> None:
    learner = Learner.launch(launcher)
    assert learner.get("/m/m99/").status_code == 404
    missing = learner.get("/m/m01/p/no-such-page")
    assert missing.status_code == 404 and "no page" in missing.text
    outline = learner.get("/m/t90/")    # the test suite's own outline module
    assert outline.status_code == 200 and "still being written" in outline.text
    assert learner.get("/m/t90/quiz").status_code == 404
    assert learner.get(f"/m/m01/attempts/{'1' * 3}").status_code == 404


def test_forged_reference_is_refused(launcher: Launcher) -> None:
    learner = Learner.launch(launcher)
    forged = Learner(base=learner.base[:-3] + "xyz", tool_url=learner.tool_url)
    assert forged.get("/m/m01/").status_code == 401


def test_outline_launch_shows_overview(launcher: Launcher) -> None:
    learner = Learner.launch(launcher, module="t90", custom={"country": "GD"})
    page = learner.get("/")
    assert page.status_code == 200 and "Fixture outline module" in page.text
    assert "still being written" in page.text


def test_the_completion_footer_is_on_learner_pages_only(launcher: Launcher, tool_server) -> None:
    import requests

    learner = Learner.launch(launcher)
    assert "Your LMS records your completion." in learner.get("/m/m01/").text
    for url in (tool_server.url + "/", tool_server.url + "/lti/config", tool_server.url + "/no-such-page",
                learner.base + "/m/m99/"):
        page = requests.get(url, timeout=10)
        assert "Content written for the EMM2.0 curriculum." in page.text, url
        assert "Your LMS records your completion" not in page.text, url


def test_registration_values_include_what_the_readme_lists(tool_server) -> None:
    import requests

    info = requests.get(tool_server.url + "/lti/config?format=json", timeout=10).json()
    assert (info["lti_version"], info["public_key_type"]) == ("1.3.0", "JWK_KEYSET")
    assert info["privacy"] == {"share_name": "always", "share_email": "always", "accept_grades": "always"}
