"""Weekly reports, their files and reminders, and the scores mentors give them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, Score, Timestamped, UTCDateTime, enum_column
from db.models.kinds import PartyKind, ReportStatus


class ReportPolicy(Timestamped, Base):
    """The consortium's rules for weekly reports, their scoring and credits (one row)."""

    __tablename__ = "report_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder: Mapped[str] = mapped_column(String(16), default="fri 17:00")
    second_reminder: Mapped[str] = mapped_column(String(16), default="mon 09:00")
    deadline: Mapped[str] = mapped_column(String(16), default="mon 12:00")
    review_after: Mapped[int] = mapped_column(Integer, default=3 * 86400)  # seconds
    weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    disagreement: Mapped[int] = mapped_column(Integer, default=20)
    baseline_weeks: Mapped[int] = mapped_column(Integer, default=2)
    current_weeks: Mapped[int] = mapped_column(Integer, default=4)
    credits_per_month: Mapped[str] = mapped_column(String(12), default="2")
    """A decimal, kept as text so that every backend stores it exactly."""


class WeeklyReport(Timestamped, Base):
    """A student's report for one ISO week (identified by its Monday): draft, then submitted."""

    __tablename__ = "weekly_report"
    __table_args__ = (
        UniqueConstraint("student_id", "week"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 80)", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    week: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    week_chosen: Mapped[bool] = mapped_column(default=False)
    activities: Mapped[str | None] = mapped_column(String(3000))
    hours: Mapped[float | None] = mapped_column()
    episode: Mapped[str | None] = mapped_column(String(2000))
    compliance: Mapped[list[str] | None] = mapped_column(JSON)
    """The kinds of rules met this week; None until the step is done."""
    compliance_note: Mapped[str | None] = mapped_column(String(1000))
    problems: Mapped[str | None] = mapped_column(String(2000))
    self_tech_rd: Mapped[int | None] = mapped_column(Integer)
    self_cross_cultural: Mapped[int | None] = mapped_column(Integer)
    self_rule_adaptation: Mapped[int | None] = mapped_column(Integer)
    attachments_done: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """The first submission; a correction keeps it and sets `corrected_at`."""
    corrected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(default=False)

    attachments: Mapped[list[ReportAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="ReportAttachment.id"
    )


class ReportAttachment(Base):
    __tablename__ = "report_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("weekly_report.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "photo" or "document"
    file_id: Mapped[str] = mapped_column(String(200))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ReportReminder(Base):
    """A reminder stage reached for a student's week: each is sent (or recorded) once."""

    __tablename__ = "report_reminder"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Assessment(Base):
    """One party's scores for a student's week: requested from a mentor for a report, or
    imported from a consortium's history (then without report and mentor)."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("student_id", "week", "party_kind"),
        CheckConstraint("tech_rd BETWEEN 0 AND 100", name="tech_rd"),
        CheckConstraint("cross_cultural BETWEEN 0 AND 100", name="cross_cultural"),
        CheckConstraint("rule_adaptation BETWEEN 0 AND 100", name="rule_adaptation"),
        Index("ix_assessment_pending", "completed_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    week: Mapped[dt.date] = mapped_column(Date)
    party_kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind, "party_kind"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("weekly_report.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    tech_rd: Mapped[float | None] = mapped_column(Score)
    cross_cultural: Mapped[float | None] = mapped_column(Score)
    rule_adaptation: Mapped[float | None] = mapped_column(Score)
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(8), default="bot")  # "bot" or "import"
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    manual_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """The assessment manual's version the scores were given under (bot.domain.manual)."""
