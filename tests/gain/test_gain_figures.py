"""The gain figures against a course of learners from AG, GD and VC, each number worked out by hand
in the comments; the facilitator's page and exports show the same."""
from __future__ import annotations

import csv
import io

import requests
from flask import Flask
from sqlalchemy import select

from facilitator_support import facilitator, learner, participant_id, text
from learner_helpers import Learner
from lti_helpers import Launcher
from security_support import ROLES
from lti_tool.courses.models import Course
from lti_tool.extensions import db
from lti_tool.gain.figures import ALL, gain_report
from lti_tool.gain.models import CourseTest
from lti_tool.models_base import utcnow
from lti_tool.platforms.models import Platform


ADMIN_ROLES = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
               "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]


def _answers(*correct: bool) -> list[dict]:
    """Answers to objectives 1 and 2 of m01."""
    return [{"module": "m01", "objective": n, "question": f"q0{n}", "correct": c} for n, c in enumerate(correct, 1)]


def _check(course_id: int, pid: int, kind: str, country: str | None, agency: str, *correct: bool,
           skipped: bool = False) -> CourseTest:
    now = utcnow()
    return CourseTest(course_id=course_id, participant_id=pid, kind=kind, paper={"modules": []},
                      results=None if skipped else _answers(*correct),
                      correct=None if skipped else sum(correct), total=None if skipped else len(correct),
                      country=country, agency=agency, lang="en",
                      submitted_at=None if skipped else now, skipped_at=now if skipped else None)


def seed(app: Flask, launcher: Launcher) -> int:
    people = {sub: learner(launcher, sub, name, country=country, agency=agency)
              for sub, name, country, agency in (
                  ("A1", "Ann AG", "AG", "Immigration"), ("A2", "Abe AG", "AG", "Immigration"),
                  ("G1", "Gil GD", "GD", "Labour"), ("G2", "Gus GD", "GD", "Labour"),
                  ("V1", "Val VC", "VC", "NEMO"), ("V2", "Vic VC", "VC", "NEMO"))}
    facilitator(launcher, "F1")
    pid = {sub: participant_id(app, launcher, sub) for sub in list(people) + ["F1"]}
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).join(Platform, Platform.id == Course.platform_id)
                                      .where(Platform.issuer == launcher.platform.issuer))
        rows = [
            _check(course_id, pid["A1"], "pre", "AG", "Immigration", False, False),
            _check(course_id, pid["A1"], "post", "AG", "Immigration", True, True),
            _check(course_id, pid["A2"], "pre", "AG", "Immigration", True, False),
            _check(course_id, pid["A2"], "post", "AG", "Immigration", True, True),
            _check(course_id, pid["G1"], "pre", "GD", "Labour", False, False),
            _check(course_id, pid["G1"], "post", "GD", "Labour", True, False),
            _check(course_id, pid["G2"], "pre", "GD", "Labour", True, True),      # no check after yet
            _check(course_id, pid["V1"], "post", "VC", "NEMO", True, False),      # no check before
            _check(course_id, pid["V2"], "pre", "VC", "NEMO", skipped=True),
            # the facilitator trying the check: never counted
            _check(course_id, pid["F1"], "pre", "BB", "IOM", True, True),
            _check(course_id, pid["F1"], "post", "BB", "IOM", True, True),
        ]
        db.session.add_all(rows)
        db.session.commit()
    return course_id


def test_gain_by_country_and_objective_checked_by_hand(app: Flask, launcher: Launcher) -> None:
    course_id = seed(app, launcher)
    with app.app_context():
        report = gain_report([course_id])
    assert set(report.countries) == {"AG", "GD", "VC", ALL}        # BB (the facilitator) is not there
    ag1 = report.objectives["AG"][("m01", 1)]
    # AG objective 1: before A1 no, A2 yes: 1 of 2 = 50 %; after both yes: 100 %; paired 0+1 -> 2: +50
    assert (ag1.before.percent, ag1.before.n, ag1.after.percent, ag1.after.n, ag1.points, ag1.paired) == (
        50, 2, 100, 2, 50, 2)
    ag2 = report.objectives["AG"][("m01", 2)]
    # AG objective 2: 0 of 2 before, 2 of 2 after, +100 on 2 people
    assert (ag2.before.percent, ag2.after.percent, ag2.points, ag2.paired) == (0, 100, 100, 2)
    gd1, gd2 = report.objectives["GD"][("m01", 1)], report.objectives["GD"][("m01", 2)]
    # GD objective 1: before G1 no, G2 yes: 50 % (n 2); after G1 yes: 100 % (n 1); paired G1 0 -> 1: +100 (n 1)
    assert (gd1.before.percent, gd1.before.n, gd1.after.percent, gd1.after.n, gd1.points, gd1.paired) == (
        50, 2, 100, 1, 100, 1)
    # GD objective 2: before G2 yes: 1 of 2 = 50 %; after G1 no: 0 %; paired G1 0 -> 0: 0 points
    assert (gd2.before.percent, gd2.after.percent, gd2.after.n, gd2.points, gd2.paired) == (50, 0, 1, 0, 1)
    vc1 = report.objectives["VC"][("m01", 1)]
    # VC: nobody took the check before (V2 skipped it): no "before", no gain; after V1 yes: 100 % (n 1)
    assert (vc1.before.n, vc1.before.percent, vc1.after.percent, vc1.after.n, vc1.points, vc1.paired) == (
        0, None, 100, 1, None, 0)
    all1 = report.objectives[ALL][("m01", 1)]
    # all objective 1: before A1 no, A2 yes, G1 no, G2 yes: 50 % (n 4); after A1, A2, G1, V1 yes: 100 % (n 4);
    # paired A1, A2, G1: 1 right before, 3 after: 2 / 3 = 66.7 -> +67
    assert (all1.before.percent, all1.before.n, all1.after.percent, all1.after.n, all1.points, all1.paired) == (
        50, 4, 100, 4, 67, 3)

    # whole checks by country: shares of answers, n people
    ag, gd, vc, everyone = (report.countries[k] for k in ("AG", "GD", "VC", ALL))
    # AG: 1 of 4 answers before (25 %), 4 of 4 after; paired: 1 -> 4 of 4: +75
    assert (ag.before.percent, ag.before.n, ag.after.percent, ag.after.n, ag.points, ag.paired) == (25, 2, 100, 2, 75, 2)
    # GD: before 0 + 2 of 4 = 50 %; after G1 1 of 2 = 50 %; paired G1 0 -> 1 of 2: +50
    assert (gd.before.percent, gd.after.percent, gd.after.n, gd.points, gd.paired) == (50, 50, 1, 50, 1)
    assert (vc.before.n, vc.after.percent, vc.points) == (0, 50, None)
    # everyone: before 3 of 8 = 37.5 -> 38 % (n 4); after 6 of 8 = 75 % (n 4);
    # paired A1 0->2, A2 1->2, G1 0->1: 1 -> 5 of 6 answers = +66.7 -> +67 (n 3)
    assert (everyone.before.percent, everyone.before.n, everyone.after.percent, everyone.after.n,
            everyone.points, everyone.paired) == (38, 4, 75, 4, 67, 3)
    assert report.skipped_before == 1 and report.skipped_after == 0
    # by agency, as fixed with the checks
    assert report.agencies["Labour"].points == 50 and report.agencies["NEMO"].after.n == 1
    # per person: Ann 0 % -> 100 %: +100; Gus has no check after
    ann = next(p for p in report.people if p.name == "Ann AG")
    gus = next(p for p in report.people if p.name == "Gus GD")
    assert (ann.before_percent, ann.after_percent, ann.points) == (0, 100, 100)
    assert (gus.before_percent, gus.after_percent, gus.points) == (100, None, None)
    assert "Fay Facilitator" not in {p.name for p in report.people}


def test_the_facilitator_sees_and_downloads_the_same_figures(app: Flask, launcher: Launcher) -> None:
    seed(app, launcher)
    staff = facilitator(launcher, "F1")
    page = staff.get("/facilitator/gain")
    assert page.status_code == 200
    shown = text(page.text)
    assert "Antigua and Barbuda (AG) 25% 2 100% 2 +75 2" in shown
    assert "All countries 38% 4 75% 4 +67 3" in shown
    assert "Saint Vincent and the Grenadines (VC) — 0 50% 1 — 0" in shown

    got = staff.get("/facilitator/gain/objectives.csv")
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    gd1 = next(r for r in rows if r["country"] == "GD" and r["objective"] == "1")
    assert (gd1["before_n"], gd1["before_percent_correct"], gd1["after_n"], gd1["after_percent_correct"],
            gd1["paired_n"], gd1["gain_points"]) == ("2", "50", "1", "100", "1", "100")
    vc1 = next(r for r in rows if r["country"] == "VC" and r["objective"] == "1")
    assert (vc1["before_percent_correct"], vc1["gain_points"]) == ("", "")   # no figure, not 0
    people = list(csv.DictReader(io.StringIO(staff.get("/facilitator/gain/people.csv").content.decode("utf-8-sig"))))
    ann = next(r for r in people if r["name"] == "Ann AG")
    assert (ann["country"], ann["agency"], ann["before_percent"], ann["after_percent"], ann["gain_points"]) == (
        "AG", "Immigration", "0", "100", "100")
    agencies = list(csv.DictReader(io.StringIO(staff.get("/facilitator/gain/agencies.csv").content.decode("utf-8-sig"))))
    assert {r["agency"]: r["gain_points"] for r in agencies} == {"Immigration": "75", "Labour": "50", "NEMO": ""}
    xlsx = staff.get("/facilitator/gain/objectives.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert staff.get("/facilitator/gain/nothing.csv").status_code == 404

    # a learner is refused the staff page
    someone = learner(launcher, "A1", "Ann AG", country="AG")
    assert someone.get("/facilitator/gain").status_code == 403
    assert requests.get(staff.base + "/facilitator/gain/people.pdf", timeout=10).status_code == 404


def test_the_admin_sees_the_lms_wide_figures_on_the_page_and_the_command_line(
        app: Flask, launcher: Launcher, tmp_path) -> None:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from openpyxl import load_workbook

    from lti_tool.cli import main

    seed(app, launcher)
    admin = Learner.launch(launcher, "m01", sub="ADM", name="Ada Admin", **{ROLES: ADMIN_ROLES})
    page = admin.get("/admin/gain")
    assert page.status_code == 200 and "All countries 38% 4 75% 4 +67 3" in text(page.text)
    assert "Every course of this LMS" in page.text
    assert facilitator(launcher, "F1").get("/admin/gain").status_code == 403

    def run(*args: str):
        return CliRunner().invoke(main, ["gain", *args], obj=ScriptInfo(create_app=lambda: app))

    issuer = launcher.platform.issuer
    got = run("--table", "countries", "--platform", issuer)
    assert got.exit_code == 0, got.output
    rows = {r["country"]: r for r in csv.DictReader(io.StringIO(got.stdout_bytes.decode("utf-8-sig")))}
    assert (rows["AG"]["before_percent_correct"], rows["AG"]["after_percent_correct"], rows["AG"]["gain_points"],
            rows["AG"]["paired_n"]) == ("25", "100", "75", "2")
    assert rows[""]["country_name"] == "all" and rows[""]["gain_points"] == "67"
    out = tmp_path / "gain.xlsx"
    assert run("--format", "xlsx", "--table", "people", "--platform", issuer, "--output", str(out)).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames[0] == "Learners" and book["Learners"]["A1"].value == "name"
    refused = run("--platform", "https://nobody.example")
    assert refused.exit_code == 2 and "no LMS is registered with issuer" in refused.output
