"""Who is in a course and what the LMS (or they) said about them: the one place that reads it.

What the LMS says about a person (custom `person_country`, `agency`) is kept per course, on the
enrolment; what the person answered themselves (asked once) on the participant. A person's country
in a course is the LMS's, else their answer; so is their agency. Every report reads them through
`learner_people`, or through `with_person` and `PERSON_COUNTRY` / `PERSON_AGENCY` in its own query.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..lti.roles import Access
from .models import Enrolment, Participant

#: the person's own country in a course: the LMS profile's there, else their answer to "which country
#: do you work for"; the same for the agency
PERSON_COUNTRY: Any = func.coalesce(Enrolment.profile_country, Participant.chosen_country)
PERSON_AGENCY: Any = func.coalesce(Enrolment.agency, Participant.agency)
LEARNER = Access.LEARNER.label


@dataclass(slots=True)
class Person:
    participant_id: int | None
    sub: str
    name: str
    email: str
    #: the person's own country (None: not given, or for a roster member not known yet)
    country: str | None
    agency: str | None
    #: False for a roster member who has never opened an EMM2.0 activity
    launched: bool = True
    last_launch_at: datetime | None = None

    @property
    def display_name(self) -> str:
        return self.name or f"user {self.sub}"


def learner_people(course_id: int, participant_id: int | None = None) -> list[Person]:
    """Learners who launched in the course (one of them when `participant_id` is given), by name."""
    query = (select(Participant.id, Participant.sub, Participant.name, Participant.email, PERSON_COUNTRY,
                    PERSON_AGENCY, Enrolment.last_launch_at)
             .join(Enrolment, and_(Enrolment.participant_id == Participant.id, Enrolment.course_id == course_id))
             .where(Enrolment.role == LEARNER)
             .order_by(Participant.name, Participant.id))
    if participant_id is not None:
        query = query.where(Participant.id == participant_id)
    return [Person(pid, sub, name or "", email or "", country, agency, True, last)
            for pid, sub, name, email, country, agency, last in db.session.execute(query)]


def with_person(query: Any, course_id_column: Any, participant_id_column: Any) -> Any:
    """`query` joined to what holds a person's country and agency in a course (their enrolment there,
    their participant row), so that PERSON_COUNTRY and PERSON_AGENCY can be selected."""
    return (query.join(Participant, Participant.id == participant_id_column)
            .outerjoin(Enrolment, and_(Enrolment.course_id == course_id_column,
                                       Enrolment.participant_id == participant_id_column)))


def learner_condition(course_id_column: Any, participant_id_column: Any) -> Any:
    """SQL: the participant is a learner of the course (staff's own quiz attempts are left out)."""
    # an alias: the outer query may join the enrolment itself (with_person), which must not correlate
    role = aliased(Enrolment)
    return select(role.id).where(
        role.course_id == course_id_column, role.participant_id == participant_id_column,
        role.role == LEARNER).exists()
