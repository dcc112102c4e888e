"""The course's knowledge check: one question per module objective, before the first module and
after the last; never graded, taken (or skipped) once.

The questions come from each module's quiz pool (`objective` tags), drawn with the quiz engine's
own `draw_paper`, so a paper holds one question per tagged objective; the check after prefers
questions the learner did not have before, so it measures the objective, not a remembered item.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any, Mapping

from sqlalchemy import exists, select

from ..content.quiz import QuizContent
from ..content.schema import DEFAULT_LANG
from ..courses.models import Completion, Course
from ..courses.people import learner_people
from ..extensions import db
from ..facilitator.dashboard import course_modules
from ..models_base import utcnow
from ..progress.models import Progress
from ..quizzes.engine import Paper, QuestionView, draw_paper, paper_view, parse_answers, score
from .models import POST, PRE, WHOLE_COURSE, CourseOption, CourseTest

log = logging.getLogger(__name__)

KINDS = (PRE, POST)


def options(course_id: int) -> CourseOption:
    """The course's choices (defaults when nobody chose: no knowledge checks, a course certificate)."""
    found = db.session.scalar(select(CourseOption).where(CourseOption.course_id == course_id))
    return found or CourseOption(course_id=course_id, knowledge_checks=False, certificate_scope=WHOLE_COURSE)


def set_options(course_id: int, *, knowledge_checks: bool, certificate_scope: str) -> CourseOption:
    found = db.session.scalar(select(CourseOption).where(CourseOption.course_id == course_id))
    if found is None:
        found = CourseOption(course_id=course_id)
        db.session.add(found)
    found.knowledge_checks, found.certificate_scope = knowledge_checks, certificate_scope
    db.session.flush()
    log.info("course %s: knowledge checks %s, certificate per %s", course_id, knowledge_checks, certificate_scope)
    return found


def checked_modules(course: Course, catalogue: Any) -> list[Any]:
    """The course's modules whose quiz tags questions with objectives, in catalogue order."""
    return [m for m in course_modules(course, catalogue) if objective_pool(m) is not None]


def objective_pool(module: Any, lang: str = DEFAULT_LANG) -> QuizContent | None:
    """The module's questions tagged with an objective, drawn one per objective; None without any."""
    quiz = module.quiz(lang)
    if quiz is None:
        return None
    tagged = tuple(q for q in quiz.questions if q.objective is not None)
    if not tagged:
        return None
    objectives = len({q.objective for q in tagged})
    return QuizContent(lang=quiz.lang, draw=objectives, shuffle=quiz.shuffle, questions=tagged)


def find(course_id: int, participant_id: int, kind: str) -> CourseTest | None:
    return db.session.scalar(select(CourseTest).where(
        CourseTest.course_id == course_id, CourseTest.participant_id == participant_id, CourseTest.kind == kind))


def due(course: Course, participant_id: int, catalogue: Any, *, after_too: bool = True) -> str | None:
    """The check this learner should be offered now (`pre` or `post`), or None.

    Before: knowledge checks are on, the learner has not started any module of the course and has
    not taken or skipped it. After: every module of the course completed, not taken or skipped yet
    (`after_too=False` leaves that out: a module page whose module is not completed cannot offer it).
    """
    if not options(course.id).knowledge_checks:
        return None
    pre = find(course.id, participant_id, PRE)
    if pre is None or not pre.done:
        started = db.session.scalar(select(exists().where(
            Progress.course_id == course.id, Progress.participant_id == participant_id)))
        if not started:
            return PRE
    if not after_too:
        return None
    post = find(course.id, participant_id, POST)
    if post is not None and post.done:
        return None
    return POST if all_completed(course, participant_id, catalogue) else None


def all_completed(course: Course, participant_id: int, catalogue: Any) -> bool:
    modules = {m.id for m in checked_modules(course, catalogue)}
    if not modules:
        return False
    done = set(db.session.scalars(select(Completion.module_id).where(
        Completion.course_id == course.id, Completion.participant_id == participant_id)))
    return modules <= done


def open_check(course: Course, participant_id: int, kind: str, catalogue: Any, lang: str) -> CourseTest:
    """The learner's check of this kind, drawn on first opening (the same paper on every visit)."""
    found = find(course.id, participant_id, kind)
    if found is not None:
        return found
    seen: set[str] = set()
    if kind == POST:
        before = find(course.id, participant_id, PRE)
        if before is not None:
            seen = {f"{b['module']}:{q['id']}" for b in before.paper["modules"] for q in b["paper"]["questions"]}
    papers = []
    for module in checked_modules(course, catalogue):
        pool = objective_pool(module)
        assert pool is not None
        own = {key.split(":", 1)[1] for key in seen if key.startswith(module.id + ":")}
        papers.append({"module": module.id, "paper": draw_paper(pool, secrets.randbits(32), own).to_dict()})
    check = CourseTest(course_id=course.id, participant_id=participant_id, kind=kind,
                       paper={"modules": papers}, lang=lang)
    db.session.add(check)
    db.session.flush()
    return check


@dataclass(frozen=True)
class Section:
    """One module's questions of a check, as the template shows them."""

    module: Any
    questions: list[QuestionView]
    lang: str


def field_prefix(module_id: str) -> str:
    return f"{module_id}-"


def sections(check: CourseTest, catalogue: Any, lang: str) -> list[Section]:
    """The check's questions in the learner's language, numbered across modules; field names carry
    the module (`m01-q-q03`), since question ids are only unique within a module."""
    out, number = [], 0
    for part in check.paper["modules"]:
        module = catalogue.get(part["module"])
        if module is None:
            continue
        quiz = module.quiz(lang)
        views = []
        for view in paper_view(quiz, Paper.from_dict(part["paper"])):
            number += 1
            prefix = field_prefix(module.id)
            views.append(replace(view, number=number, field=prefix + view.field,
                                 rows=tuple(replace(r, field=prefix + r.field) for r in view.rows)))
        out.append(Section(module, views, quiz.lang))
    return out


def submit(check: CourseTest, form: Mapping[str, Any], catalogue: Any, *, country: str | None,
           agency: str | None) -> CourseTest:
    """Score the check once (unanswered questions count as not known); raises AnswerError on a form
    no honest browser sends. A check already done is returned as it is."""
    if check.done:
        return check
    getlist = form.getlist  # type: ignore[attr-defined]
    results = []
    for part in check.paper["modules"]:
        module = catalogue.get(part["module"])
        if module is None:
            continue
        quiz = module.quiz(DEFAULT_LANG)
        paper = Paper.from_dict(part["paper"])
        prefix = field_prefix(module.id)
        fields = {key[len(prefix):]: getlist(key) for key in form.keys() if key.startswith(prefix)}
        scored = score(quiz, paper, parse_answers(quiz, paper, fields), module.pass_mark)
        for r in scored.questions:
            results.append({"module": module.id, "objective": quiz.question(r.qid).objective,
                            "question": r.qid, "correct": bool(r.correct and r.given is not None)})
    check.results = results
    check.correct = sum(1 for r in results if r["correct"])
    check.total = len(results)
    check.country, check.agency = country, agency
    check.submitted_at = utcnow()
    db.session.flush()
    log.info("course %s: %s check of participant %s: %s/%s", check.course_id, check.kind,
             check.participant_id, check.correct, check.total)
    return check


def skip(check: CourseTest) -> CourseTest:
    if not check.done:
        check.skipped_at = utcnow()
        db.session.flush()
    return check


def person_country_agency(course_id: int, participant_id: int) -> tuple[str | None, str | None]:
    """The learner's own country and agency in the course (courses.people), fixed with the answers."""
    people = learner_people(course_id, participant_id)
    return (people[0].country, people[0].agency) if people else (None, None)


@dataclass(frozen=True)
class CourseNext:
    """What the module page offers beyond the module: the check that is due, certificates ready."""

    check_due: str | None = None
    certificates: tuple[str, ...] = ()


def course_next(course: Course | None, participant_id: int | None, catalogue: Any, *,
                module_completed: bool) -> CourseNext:
    """For a learner's module page; certificates are looked for only once the module is completed."""
    if course is None or participant_id is None:
        return CourseNext()
    from .certificates import eligible

    ready = tuple(eligible(course, participant_id, catalogue).scopes) if module_completed else ()
    return CourseNext(due(course, participant_id, catalogue, after_too=module_completed), ready)
