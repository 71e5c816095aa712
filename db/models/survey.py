"""The talent-demand survey (what skills the enterprises and overseas sites need) and the
review of each ended course module by the parties that built it, with the changes recorded
against what they asked: the closed loop of the co-built curriculum."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class Survey(Base):
    """A demand survey a coordinator sent: the skills asked about, in order, one per line."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    skills: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SurveyAnswer(Base):
    """One contact's answer for their party, written when the survey is sent to them;
    `answered_at` is set when they press Done, `need_answered_at` when they then write their
    other needs or press No other needs. A forgotten contact's answer stays as their party's,
    without them and without their words."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("survey_id", "party_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    chosen: Mapped[str] = mapped_column(String(64), default="")  # skill indexes, e.g. "0,3"
    need: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    need_answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CourseReview(Base):
    """A building party's contact's review of an ended module: four scores of 1-5 and what
    should change, written empty when the module is put to them (so it is asked once)."""

    __tablename__ = "course_review"
    __table_args__ = (
        UniqueConstraint("course_id", "party_id", "person_id"),
        *(
            CheckConstraint(f"{q} BETWEEN 1 AND 5", name=f"{q}_range")
            for q in ("relevance", "teaching", "practice", "organisation")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    relevance: Mapped[int | None] = mapped_column(Integer)
    teaching: Mapped[int | None] = mapped_column(Integer)
    practice: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[int | None] = mapped_column(Integer)
    change: Mapped[str | None] = mapped_column(Text)  # what should change
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CourseChange(Base):
    """What the next run of a module changed, recorded by a coordinator or the lead party's
    contact."""

    __tablename__ = "course_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CourseChangeRequest(Base):
    """A review's change request that a recorded change answers."""

    __tablename__ = "course_change_request"

    change_id: Mapped[int] = mapped_column(
        ForeignKey("course_change.id", ondelete="CASCADE"), primary_key=True
    )
    review_id: Mapped[int] = mapped_column(
        ForeignKey("course_review.id", ondelete="CASCADE"), primary_key=True
    )
