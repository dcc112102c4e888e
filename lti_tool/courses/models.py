"""The LTI domain as seen from launches: who launched what, where."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Course(db.Model):
    """An LTI context, or, for launches without a context, one resource link of one deployment.

    Launches without a context never share a course: each resource link is a course of its own, so
    a facilitator of one link sees nobody from another.
    """

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", "link_deployment_id", "resource_link_id",
                                       name="uq_course_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    #: the context claim's id; "" when the launch had no context
    context_id: Mapped[str] = mapped_column(String(255))
    #: without a context: the deployment row the resource link came through (0 for an LTI context)
    link_deployment_id: Mapped[int] = mapped_column(default=0, server_default="0")
    #: without a context: the resource link this course was made for ("" for an LTI context)
    resource_link_id: Mapped[str] = mapped_column(String(255), default="", server_default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(512), default="")
    #: NRPS memberships URL, when the platform offers it
    memberships_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: AGS line items container URL
    lineitems_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: the AGS scopes the platform granted in its latest launch here
    ags_scopes: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Placement(db.Model):
    """A resource link in a course, bound to one module and (through AGS) to one line item."""

    __tablename__ = "placement"
    __table_args__ = (UniqueConstraint("course_id", "resource_link_id", name="uq_placement_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512), default="")
    #: the custom `module` parameter; None or unknown shows the catalogue / a message
    module_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: activity-level custom `country` (ISO 3166-1 alpha-2), already validated
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: AGS line item URL from the launch, or the one we found or created
    lineitem_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: set when a Deep Linking reply placed the module. Such a row stands for the activity the LMS
    #: makes from the reply, whose resource link id we learn only at its first launch (until then
    #: `resource_link_id` is `deep-link:<module>`); its grade column is found by `resourceId`.
    deep_linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    @property
    def from_deep_link(self) -> bool:
        return self.resource_link_id.startswith(DEEP_LINK_PREFIX)


#: resource_link_id of a placement made by a Deep Linking reply, before any launch of it
DEEP_LINK_PREFIX = "deep-link:"


class Participant(db.Model):
    """A person at one platform, identified by the `sub` claim."""

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_participant_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    #: the learner's own answer, asked once when nothing else gives a country
    chosen_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: the learner's own answer ("about you"); the LMS's value is per enrolment
    agency: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: when we asked the learner for a country (asked once, answered or not)
    country_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: UI language chosen by the learner, overriding the launch locale
    chosen_locale: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Enrolment(db.Model):
    """A participant's role in a course, as of their latest launch there.

    The LMS's custom `person_country` and `agency` are kept here, per course, not on the participant:
    activity-level custom parameters are set by a course's teachers, so one course's values must
    not change what another course (or an admin report over all courses) shows for the person.
    """

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("course_id", "participant_id", name="uq_enrolment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    #: learner | facilitator | admin
    role: Mapped[str] = mapped_column(String(16))
    last_launch_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the LMS profile country (custom person_country) as this course's launches gave it, when valid
    profile_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    #: the custom `agency` this course's launches gave
    agency: Mapped[str | None] = mapped_column(String(255), nullable=True)

    participant: Mapped[Participant] = relationship()


class Completion(db.Model):
    """A module completed in a course, with the country and agency it counts for, fixed at that moment.

    Reports by country read this table, so a later profile change never rewrites history.
    """

    __tablename__ = "completion"
    __table_args__ = (UniqueConstraint("course_id", "participant_id", "module_id", name="uq_completion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placement.id", ondelete="SET NULL"), nullable=True)
    module_id: Mapped[str] = mapped_column(String(32))
    #: ISO 3166-1 alpha-2, or None when nobody told us
    country: Mapped[str | None] = mapped_column(String(2), nullable=True, index=True)
    #: where the country came from: activity | profile | learner
    country_source: Mapped[str | None] = mapped_column(String(16), nullable=True)
    agency: Mapped[str | None] = mapped_column(String(255), nullable=True)
    percent: Mapped[int | None] = mapped_column(nullable=True)
    passed: Mapped[bool] = mapped_column(default=False)
    #: the content language the module was taken in (en, es, fr: the quiz's, or the pages' when
    #: there was no quiz); None for completions recorded before the tool kept it
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
