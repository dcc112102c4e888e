"""Certificates of completion: issued once a learner has completed what the course asks (every
module placed in it, or one module, as its facilitator chose), verified by a random code.

The code is 100 random bits (not derived from anything about the person), stored with the
certificate: /verify/<code> finds it or says no certificate has that code. Erasing a person's
data erases their certificates, and their codes then verify as unknown.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..courses.models import Completion, Course, Participant
from ..extensions import db
from ..facilitator.dashboard import course_modules
from ..progress.models import Progress
from .checks import options, person_country_agency
from .models import WHOLE_COURSE, Certificate

log = logging.getLogger(__name__)

CODE_LENGTH = 20
_CODE = re.compile(r"^[A-Z2-7]{20}$")


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"   # base32: no 0/O or 1/I to confuse


def new_code() -> str:
    """20 characters of 5 random bits each: 100 bits, beyond guessing."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """`ABCDE-FGHIJ-KLMNO-PQRST`: easier to read aloud and to type."""
    return "-".join(code[i:i + 5] for i in range(0, len(code), 5))


def normalize_code(text: str) -> str | None:
    """A typed or printed code without its dashes and spaces, upper-cased; None when it cannot be one."""
    clean = re.sub(r"[\s-]", "", text or "").upper()
    return clean if _CODE.match(clean) else None


@dataclass(frozen=True)
class Eligibility:
    """What a learner may have a certificate for in a course: scopes and the modules each covers."""

    scopes: dict[str, list[str]]


def eligible(course: Course, participant_id: int, catalogue: Any) -> Eligibility:
    """`course` when every module of the course is completed (course scope), or each completed module
    (module scope)."""
    placed = [m.id for m in course_modules(course, catalogue)]
    done = set(db.session.scalars(select(Completion.module_id).where(
        Completion.course_id == course.id, Completion.participant_id == participant_id)))
    if options(course.id).certificate_scope == WHOLE_COURSE:
        return Eligibility({WHOLE_COURSE: placed} if placed and set(placed) <= done else {})
    return Eligibility({m: [m] for m in placed if m in done})


def issue(course: Course, participant: Participant, scope: str, modules: list[str]) -> Certificate:
    """The learner's certificate for `scope`, made on first asking (the same code ever after)."""
    found = db.session.scalar(select(Certificate).where(
        Certificate.course_id == course.id, Certificate.participant_id == participant.id, Certificate.scope == scope))
    if found is not None:
        return found
    started, completed = db.session.execute(
        select(func.min(Progress.started_at), func.max(Completion.completed_at))
        .select_from(Completion)
        .join(Progress, (Progress.course_id == Completion.course_id)
              & (Progress.participant_id == Completion.participant_id)
              & (Progress.module_id == Completion.module_id))
        .where(Completion.course_id == course.id, Completion.participant_id == participant.id,
               Completion.module_id.in_(modules))).one()
    country, _agency = person_country_agency(course.id, participant.id)
    certificate = Certificate(code=new_code(), course_id=course.id, participant_id=participant.id, scope=scope,
                              name=participant.name, modules=modules, country=country,
                              started_at=started, completed_at=completed)
    db.session.add(certificate)
    db.session.flush()
    log.info("certificate %s issued in course %s (scope %s)", certificate.id, course.id, scope)
    return certificate


def verify(text: str) -> Certificate | None:
    code = normalize_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


