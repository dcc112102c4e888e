"""The language a module was taken in, end to end through the demo LMS: recorded with the completion,
named in the gradebook comment when it is not English, and a column of both CSV exports.

What counts is the content the learner was shown, not the interface: a Spanish-speaking learner
taking a module that exists only in English took it in English.
"""
from __future__ import annotations

import csv
import io

import requests
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from e2e_support import browse_launch, drain, learner_from
from learner_helpers import Learner, submit_quiz
from lti_tool.courses.models import Completion, Participant
from lti_tool.extensions import db
from lti_tool.runtime import runtime

LEARNER_AG, LEARNER_GD, FACILITATOR, ADMIN = "4", "5", "3", "2"


def take(learner: Learner, app: Flask, module_id: str) -> str:
    """Read every page and pass the quiz; the language the pages were shown in."""
    with app.app_context():
        pages, _ = runtime(app).catalogue.get(module_id).pages("en")
    shown = set()
    for page in pages:
        html = learner.get(f"/m/{module_id}/p/{page.id}").text
        shown.add('<article class="page" lang="en">' in html)
        assert learner.read(page.id, module_id).status_code == 303   # read to its end
    assert submit_quiz(learner, app, module_id, correct=True).status_code == 303
    return "fallback" if shown == {True} else "own" if shown == {False} else "mixed"


def test_the_language_of_a_completion_reaches_the_gradebook_and_both_exports(
        app: Flask, demo_lms, tool_server) -> None:
    lms = demo_lms.lms
    spanish = lms.add_placement("m06", "Module 06 — in Spanish (e2e)")
    english_only = lms.add_placement("t91", "Fixture module — English only (e2e)")
    # both learners use a Spanish interface; m06 is translated, the suite's fixture module t91 is not
    ag = learner_from(browse_launch(demo_lms, LEARNER_AG, spanish.id, locale="es_mx"), tool_server.url)
    assert take(ag, app, "m06") == "own"
    gd = learner_from(browse_launch(demo_lms, LEARNER_GD, english_only.id, locale="es_mx"), tool_server.url)
    assert take(gd, app, "t91") == "fallback"

    with app.app_context():
        recorded = dict(db.session.execute(
            select(Participant.sub, Completion.language).join(Participant, Participant.id == Completion.participant_id)
            .where(Completion.module_id.in_(["m06", "t91"]), Participant.sub.in_([LEARNER_AG, LEARNER_GD]))).all())
    assert recorded == {LEARNER_AG: "es", LEARNER_GD: "en"}

    drain(app)
    with lms.state.lock:
        comments = {sub: lms.state.scores[(lms.state.placements[placement.id].line_item_id, sub)].received["comment"]
                    for sub, placement in ((LEARNER_AG, spanish), (LEARNER_GD, english_only))}
    assert comments[LEARNER_AG].startswith("m06 Migration Management and the Policy Cycle — completed in Spanish, ")
    assert comments[LEARNER_AG].endswith(" passed — Antigua and Barbuda (AG)")
    assert comments[LEARNER_GD].startswith("t91 Fixture quiz module — completed, ")

    facilitator = browse_launch(demo_lms, FACILITATOR, spanish.id)
    base = "/".join(facilitator.url.split("/")[:5])
    export = requests.get(base + "/facilitator/export.csv", timeout=10)
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    by_person = {(r["name"], r["module"]): r for r in rows}
    assert by_person[("Keisha Joseph", "m06")]["language"] == "es"
    assert by_person[("Keisha Joseph", "m06")]["status"] == "completed"
    assert by_person[("Marcus Charles", "t91")]["language"] == "en"
    assert by_person[("Marcus Charles", "m06")]["language"] == ""       # not completed: nothing to say

    admin = browse_launch(demo_lms, ADMIN, spanish.id)
    admin_base = "/".join(admin.url.split("/")[:5])
    # the report by language, and its workbook's detailed sheet: country x agency x module x language
    download = requests.get(admin_base + "/admin/report.csv?by=language", timeout=10)
    assert download.status_code == 200
    lines = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert list(lines[0])[:3] == ["language", "learners", "results"]
    assert {line["language"] for line in lines} >= {"es", "en"}
    book = load_workbook(io.BytesIO(requests.get(admin_base + "/admin/report.xlsx", timeout=10).content))
    sheet = book["Completions"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["country", "country_name", "agency", "module", "module_title", "language", "completions",
                      "passes"]
    details = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(d["country"] == "AG" and d["module"] == "m06" and d["language"] == "es" for d in details)
    assert any(d["country"] == "GD" and d["module"] == "t91" and d["language"] == "en" for d in details)


def test_the_language_is_the_content_shown_not_the_interface(app: Flask) -> None:
    from types import SimpleNamespace

    from lti_tool.courses.language import taken_in

    with app.test_request_context():
        catalogue = runtime(app).catalogue
        m01, t91 = catalogue.get("m01"), catalogue.get("t91")   # m01 is in every language; t91 in English only
        spanish, french = SimpleNamespace(chosen_locale="es"), SimpleNamespace(chosen_locale="fr")
        # with a quiz attempt: the language its questions were shown in
        assert taken_in(m01, SimpleNamespace(lang="es"), french) == "es"
        assert taken_in(m01, SimpleNamespace(lang="fr"), french) == "fr"
        assert taken_in(t91, SimpleNamespace(lang="fr"), french) == "en"
        # without one (a module completed by reading): the pages as this learner sees them
        assert taken_in(m01, None, spanish) == "es"
        assert taken_in(t91, None, spanish) == "en"
        assert taken_in(m01, None, SimpleNamespace(chosen_locale=None)) == "en"
