"""Achievements, the revenue they bring and how it is shared."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, Timestamped, UTCDateTime, enum_column
from db.models.kinds import AchievementKind


class Achievement(Timestamped, Base):
    """An outcome of a team or a student, with the parties and members who made it."""

    __tablename__ = "achievement"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AchievementKind] = mapped_column(enum_column(AchievementKind, "achievement_kind"))
    title: Mapped[str] = mapped_column(String(300))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    party_ids: Mapped[list[int]] = mapped_column(JSON)
    member_ids: Mapped[list[int]] = mapped_column(JSON)  # person ids of the students


class Revenue(Base):
    """Revenue from an achievement, in whole minor units of its currency, and its split."""

    __tablename__ = "revenue"

    id: Mapped[int] = mapped_column(primary_key=True)
    achievement_id: Mapped[int] = mapped_column(
        ForeignKey("achievement.id", ondelete="CASCADE"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    participation: Mapped[str] = mapped_column(String(32))  # exact rate, e.g. "7/12"
    raised: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    shares: Mapped[list[RevenueShare]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RevenueShare.position"
    )


class RevenueShare(Base):
    __tablename__ = "revenue_share"

    revenue_id: Mapped[int] = mapped_column(
        ForeignKey("revenue.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))  # as it was when the split was made
    percent: Mapped[str] = mapped_column(String(48))  # exact, e.g. "14.25" or "35/3"
    amount_minor: Mapped[int] = mapped_column(BigInteger)
