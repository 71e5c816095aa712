"""Co-built course modules, their sessions, who attends them, attendance, the reminders
sent before a session, and the gaps in a student's programme a coordinator was warned of."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.courses import CoursePhase
from db.models.base import Base, Timestamped, UTCDateTime, enum_column


class Course(Timestamped, Base):
    """A course module built by several parties, one of which leads it."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    phase: Mapped[CoursePhase] = mapped_column(
        enum_column(CoursePhase, "course_phase"), default=CoursePhase.COURSE
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    # Exact, e.g. "0.25": credits per attended hour ("0" when the module earns none).
    credits_per_hour: Mapped[str] = mapped_column(String(16), default="0")


class CourseParty(Base):
    """A party that builds a course (the lead is one of them)."""

    __tablename__ = "course_party"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )


class CourseSession(Timestamped, Base):
    """One session of a course: when, how long, where (a link or a place), who speaks.

    `seq` is the session's place in its course (the file's order), so that importing the
    file again updates a session instead of adding one."""

    __tablename__ = "course_session"
    __table_args__ = (
        UniqueConstraint("course_id", "seq"),
        CheckConstraint("minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    link: Mapped[str | None] = mapped_column(String(500))
    place: Mapped[str | None] = mapped_column(String(300))
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    cohort: Mapped[bool] = mapped_column(default=False)  # every student attends


class SessionSite(Base):
    """A placement site whose students attend a session."""

    __tablename__ = "session_site"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_session.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )


class SessionStudent(Base):
    """A student named as an attendee of a session."""

    __tablename__ = "session_student"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_session.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Attendance(Base):
    """Whether a person attended a session: marked by the speaker or the lead party's
    contact, or confirmed by the attendee (then `marked_by_id` is the attendee)."""

    __tablename__ = "attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_session.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    present: Mapped[bool] = mapped_column()
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SessionReminder(Base):
    """A reminder sent to an attendee this long before a session: written with its outbox
    row, so that it goes exactly once."""

    __tablename__ = "session_reminder"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_session.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    before_minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PaceWarning(Base):
    """A gap in a student's programme (weeks with no activity) the coordinators were
    warned of, once per gap."""

    __tablename__ = "pace_warning"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    gap_start: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # a Monday
    gap_end: Mapped[dt.date] = mapped_column(Date)  # the Sunday of its last week
    warned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
