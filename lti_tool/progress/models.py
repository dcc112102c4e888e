"""Progress per (course, participant, module) and the quiz attempts behind it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..courses.models import Course, Participant, Placement
from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Progress(db.Model):
    """Where one participant is in one module of one course: pages seen, scores, completion.

    One row per (course, participant, module), created the first time the learner opens a page
    or the quiz. Scores are percentages (0-100, exact to float precision); which one counts for
    the gradebook follows the module's `grading` (best or last attempt).
    """

    __tablename__ = "progress"
    __table_args__ = (
        UniqueConstraint("course_id", "participant_id", "module_id", name="uq_progress"),
        Index("ix_progress_course_module", "course_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    #: the content module id (`m01` …)
    module_id: Mapped[str] = mapped_column(String(32))
    #: ids of the pages opened at least once, in the order first opened
    pages_seen: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ids of the pages read to their end ("Next" at the bottom, or scrolled to the end), in the
    #: order first read: what completion counts (opening a page is not reading it)
    pages_read: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the page to resume at
    last_page_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: what the learner was last doing here (page | quiz | result), with last_seen_at: the
    #: facilitator's "who is active now, and where"
    location: Mapped[str | None] = mapped_column(String(16), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: set once, when the module's completion rule is first met; never cleared
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: submitted quiz attempts
    attempts_used: Mapped[int] = mapped_column(Integer, default=0)
    #: attempts a facilitator added beyond the module's `attempts` (one more, or a reset); see AttemptGrant
    attempts_granted: Mapped[int] = mapped_column(Integer, default=0)
    best_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: the percentage that counts (best or last attempt, per the module's grading)
    score_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: whether the attempt that counts reached the pass mark
    passed: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship()
    participant: Mapped[Participant] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="progress", cascade="all, delete-orphan", order_by="Attempt.number",
        passive_deletes=True,
    )
    grants: Mapped[list[AttemptGrant]] = relationship(order_by="AttemptGrant.id", viewonly=True)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    def has_seen(self, page_id: str) -> bool:
        return page_id in (self.pages_seen or ())

    def has_read(self, page_id: str) -> bool:
        return page_id in (self.pages_read or ())

    def __repr__(self) -> str:
        return f"<Progress {self.id} course {self.course_id} participant {self.participant_id} {self.module_id}>"


class Attempt(db.Model):
    """One quiz attempt: drawn when the quiz is opened, scored once when submitted.

    The form carries `key`, so a second POST of the same form finds the scored attempt and shows
    its result instead of recording another one. At most one unsubmitted attempt exists per
    progress: (progress, number) is unique and an open attempt's number is attempts_used + 1.
    """

    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("progress_id", "number", name="uq_attempt_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … within the progress
    number: Mapped[int] = mapped_column(Integer)
    #: random idempotency key carried by the quiz form
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: the placement (resource link) the learner was launched from, when it is bound to this module
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: the paper drawn for this attempt (quizzes.Paper.to_dict: seed, questions, display order)
    paper: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: quizzes.Answers as JSON (content ids), set on submission
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: answers saved while the attempt is open (same shape as `answers`), merged question by question
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the learner submitted after their launch had expired: the answers went to `draft`, and the
    #: attempt is scored from them when the learner comes back (or at `due_at`)
    submit_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the module's deadline for this attempt (`deadline_hours`): then it is scored as it stands
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    #: points earned per question id, for reports of the questions people miss
    question_points: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: exact points / max_points * 100 (shown through quizzes.scoring.display_percent)
    percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: the module's pass mark when this attempt was scored
    pass_mark: Mapped[int | None] = mapped_column(Integer, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: language the questions were shown in
    lang: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: None while the attempt is open
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    progress: Mapped[Progress] = relationship(back_populates="attempts")
    placement: Mapped[Placement | None] = relationship()

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def __repr__(self) -> str:
        return f"<Attempt {self.id} #{self.number} of progress {self.progress_id}>"


class AttemptGrant(db.Model):
    """A facilitator gave a learner more quiz attempts: who, when, why. Shown in the learner's history.

    `kind` is `extra` (one more attempt) or `reset` (the module's full number of attempts again);
    earlier attempts and their scores are kept either way.
    """

    __tablename__ = "attempt_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("progress.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: attempts this grant added to progress.attempts_granted
    attempts_added: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: the facilitator, when granted from the facilitator pages (None from the command line)
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), nullable=True
    )
    #: who granted it, as shown in the history (kept when the facilitator's own record is erased)
    granted_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    progress: Mapped[Progress] = relationship(overlaps="grants")
