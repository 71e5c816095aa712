"""Who answers for a party when: rotations, hand-offs, escalation, overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamped, UTCDateTime


class OncallPolicy(Timestamped, Base):
    """A party's on-call rotation, hand-off, escalation steps and quiet hours."""

    __tablename__ = "oncall_policy"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(8), default="weekly")
    handoff: Mapped[str] = mapped_column(String(16), default="mon 09:00")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """[{"after": seconds, "notify": "next" | "coordinators"}, ...]"""
    quiet: Mapped[str] = mapped_column(String(16), default="22:00-08:00")


class RotationMember(Base):
    __tablename__ = "rotation_member"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class OncallOverride(Timestamped, Base):
    """Someone covers a party's on-call duty for a while."""

    __tablename__ = "oncall_override"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
