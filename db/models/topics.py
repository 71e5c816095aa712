"""Research topics: needs, applications, mentors, cycle reports, their scores and reminders."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Score, Timestamped, UTCDateTime, enum_column
from db.models.kinds import ApplicationState, PartyKind, ReportStatus, TopicState


class Topic(Timestamped, Base):
    """A research topic published by a research institution's contact."""

    __tablename__ = "topic"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[TopicState] = mapped_column(
        enum_column(TopicState, "topic_state"), default=TopicState.DRAFT
    )
    title: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(2000))
    skills: Mapped[str | None] = mapped_column(String(500))
    team_size: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # applications close after this day
    cycle_days: Mapped[int] = mapped_column(Integer, default=14)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_on: Mapped[dt.date | None] = mapped_column(Date)  # the first cycle's first day
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TopicNeed(Base):
    """What an enterprise or an overseas site needs from a topic."""

    __tablename__ = "topic_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(1000))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TopicApplication(Base):
    __tablename__ = "topic_application"
    __table_args__ = (UniqueConstraint("topic_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    state: Mapped[ApplicationState] = mapped_column(
        enum_column(ApplicationState, "application_state"), default=ApplicationState.PENDING
    )
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class TopicMentor(Base):
    """A running topic's mentor for one kind of party (university, enterprise, research)."""

    __tablename__ = "topic_mentor"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(
        enum_column(PartyKind, "party_kind"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))


class TopicReport(Timestamped, Base):
    """A team's progress report for one cycle of a running topic."""

    __tablename__ = "topic_report"
    __table_args__ = (UniqueConstraint("topic_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)  # 0 is the first
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    progress: Mapped[str | None] = mapped_column(String(3000))
    plans: Mapped[str | None] = mapped_column(String(2000))
    contributors: Mapped[list[int] | None] = mapped_column(JSON)
    """Person ids of the members who took part in this cycle (None: not chosen yet)."""
    contributors_done: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)


class TopicAssessment(Base):
    """One mentor's scores for a topic report, on the three capability dimensions."""

    __tablename__ = "topic_assessment"
    __table_args__ = (
        UniqueConstraint("report_id", "party_kind"),
        CheckConstraint("tech_rd BETWEEN 0 AND 100", name="tech_rd"),
        CheckConstraint("cross_cultural BETWEEN 0 AND 100", name="cross_cultural"),
        CheckConstraint("rule_adaptation BETWEEN 0 AND 100", name="rule_adaptation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("topic_report.id", ondelete="CASCADE"), index=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind, "party_kind"))
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    tech_rd: Mapped[float | None] = mapped_column(Score)
    cross_cultural: Mapped[float | None] = mapped_column(Score)
    rule_adaptation: Mapped[float | None] = mapped_column(Score)
    comment: Mapped[str | None] = mapped_column(String(1000))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    manual_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """The assessment manual's version the scores were given under (bot.domain.manual)."""


class TopicReminder(Base):
    """A reminder stage reached for a topic's cycle: each is sent once."""

    __tablename__ = "topic_reminder"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topic.id", ondelete="CASCADE"), primary_key=True
    )
    cycle: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
