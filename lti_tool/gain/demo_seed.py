"""`emm-lti demo`: a past cohort in the demo course, so the knowledge gain can be seen at once.

Fifteen fictional officials from Antigua and Barbuda, Grenada and Saint Vincent and the
Grenadines, each with a check before and (twelve of them) after, on the objectives of the demo
course's modules; the course offers the checks and a course certificate to the demo learners.
Idempotent: a second run finds the cohort and changes nothing.
"""
from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ..courses.models import Course, Enrolment, Participant
from ..extensions import db
from ..models_base import utcnow
from ..platforms.models import Deployment
from .checks import objective_pool, set_options
from .models import POST, PRE, WHOLE_COURSE, CourseTest

log = logging.getLogger(__name__)

COHORT = (
    ("AG", "Immigration Department", ("Aaliyah Francis", "Dwayne Samuel", "Renee Thomas", "Kemar Henry",
                                      "Tricia Joseph")),
    ("GD", "Ministry of Labour", ("Colin Mitchell", "Sharon Noel", "Andre Bartholomew", "Lisa Regis", "Jason Pierre")),
    ("VC", "National Emergency Management Organisation", ("Monique Cato", "Garfield Ollivierre", "Denise Browne",
                                                         "Rohan Baptiste", "Kerry-Ann Ballantyne")),
)
#: chance of a right answer before and after, by country: different starting points, different gains
CHANCES = {"AG": (0.35, 0.8), "GD": (0.5, 0.75), "VC": (0.3, 0.7)}


def seed_demo_cohort(platform_id: int, context_id: str, label: str, title: str, module_ids: list[str],
                     catalogue: Any) -> bool:
    """Seed the cohort into the demo course (made here if no launch made it yet); False when it is there."""
    if db.session.scalar(select(Participant.id).where(Participant.platform_id == platform_id,
                                                      Participant.sub == "cohort-1")) is not None:
        return False
    course = db.session.scalar(select(Course).where(Course.platform_id == platform_id, Course.context_id == context_id,
                                                    Course.resource_link_id == ""))
    if course is None:
        deployment = db.session.scalar(select(Deployment).where(Deployment.platform_id == platform_id))
        course = Course(platform_id=platform_id, deployment_id=deployment.id, context_id=context_id, label=label,
                        title=title)
        db.session.add(course)
        db.session.flush()
    set_options(course.id, knowledge_checks=True, certificate_scope=WHOLE_COURSE)
    objectives = []
    for module_id in module_ids:
        module = catalogue.get(module_id)
        pool = objective_pool(module) if module is not None else None
        if pool is not None:
            objectives += [(module_id, n) for n in sorted({q.objective for q in pool.questions})]
    rng = random.Random(2026)
    now, number = utcnow(), 0
    for country, agency, names in COHORT:
        for index, name in enumerate(names):
            number += 1
            person = Participant(platform_id=platform_id, sub=f"cohort-{number}", name=name,
                                 email=f"cohort{number}@example.org")
            db.session.add(person)
            db.session.flush()
            db.session.add(Enrolment(course_id=course.id, participant_id=person.id, role="learner",
                                     profile_country=country, agency=agency, last_launch_at=now))
            before, after = CHANCES[country]
            kinds = [(PRE, before, 30)] + ([(POST, after, 2)] if index < 4 else [])
            for kind, chance, days_ago in kinds:
                results = [{"module": m, "objective": n, "question": "", "correct": rng.random() < chance}
                           for m, n in objectives]
                when = now - timedelta(days=days_ago)
                db.session.add(CourseTest(course_id=course.id, participant_id=person.id, kind=kind,
                                          paper={"modules": []}, results=results,
                                          correct=sum(r["correct"] for r in results), total=len(results),
                                          country=country, agency=agency, lang="en", created_at=when,
                                          submitted_at=when))
    db.session.flush()
    log.info("demo: a past cohort of %s learners seeded in course %s", number, course.id)
    return True
