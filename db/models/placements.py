"""Students' stays at overseas sites and the mentors of each stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, Timestamped, enum_column
from db.models.kinds import PartyKind


class Placement(Timestamped, Base):
    """A student's stay at an overseas site."""

    __tablename__ = "placement"
    __table_args__ = (
        UniqueConstraint("student_id", "site_id", "start_date"),
        CheckConstraint("end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)

    mentors: Mapped[list[PlacementMentor]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="PlacementMentor.party_kind"
    )


class PlacementMentor(Base):
    """The mentor a placement has from one kind of party."""

    __tablename__ = "placement_mentor"

    placement_id: Mapped[int] = mapped_column(
        ForeignKey("placement.id", ondelete="CASCADE"), primary_key=True
    )
    party_kind: Mapped[PartyKind] = mapped_column(
        enum_column(PartyKind, "party_kind"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
