"""Rows of the knowledge checks, the course's choices about them, and certificates."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PRE, POST = "pre", "post"
#: a certificate for the whole course, or one per module completed
WHOLE_COURSE = "course"


class CourseOption(db.Model):
    """A facilitator's choices for one course (a row once someone chose)."""

    __tablename__ = "course_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    #: learners are offered the knowledge check before their first module and after their last
    knowledge_checks: Mapped[bool] = mapped_column(Boolean, default=False)
    #: `course` (every module placed) or `module` (each module): what a certificate is given for
    certificate_scope: Mapped[str] = mapped_column(String(16), default=WHOLE_COURSE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CourseTest(db.Model):
    """One learner's knowledge check (before or after) in a course: taken or skipped once, never graded.

    Unique per (course, participant, kind): the once-only rule is the database's too.
    """

    __tablename__ = "course_test"
    __table_args__ = (UniqueConstraint("course_id", "participant_id", "kind", name="uq_course_test"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    #: pre | post
    kind: Mapped[str] = mapped_column(String(8))
    #: {"modules": [{"module": "m01", "paper": Paper.to_dict()}, …]}: one question per objective
    paper: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: [{"module", "objective", "question", "correct"}] once submitted
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    correct: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the country and agency the answers count for, fixed when submitted
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    agency: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the learner chose not to take it (recorded, so it is not offered again)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def done(self) -> bool:
        return self.submitted_at is not None or self.skipped_at is not None


class Certificate(db.Model):
    """A certificate of completion; `code` is random and is all /verify/<code> needs."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("course_id", "participant_id", "scope", name="uq_certificate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 20 random base32 characters (100 bits), shown in groups of five
    code: Mapped[str] = mapped_column(String(32), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    #: `course`, or the module id of a one-module certificate
    scope: Mapped[str] = mapped_column(String(32))
    #: the name as the LMS gave it when the certificate was issued
    name: Mapped[str] = mapped_column(String(255))
    #: module ids, in catalogue order
    modules: Mapped[list[str]] = mapped_column(JSON)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
