"""Typed SQLAlchemy models. Every schema change goes through an Alembic migration."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class PartyKind(StrEnum):
    UNIVERSITY = "university"
    ENTERPRISE = "enterprise"
    RESEARCH = "research"
    OVERSEAS_SITE = "overseas_site"
    GOVERNMENT = "government"
    NGO = "ngo"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CONTACT = "contact"
    MENTOR = "mentor"
    STUDENT = "student"


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), server_default=func.now(), onupdate=func.now()
    )


class Consortium(Timestamped, Base):
    """The one consortium a bot serves."""

    __tablename__ = "consortium"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))


class Party(Timestamped, Base):
    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))


class Person(Timestamped, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    can_message: Mapped[bool] = mapped_column(default=False)
    """Whether the bot may write to this person privately (they pressed Start, did not block)."""
    message_error: Mapped[str | None] = mapped_column(String(200))
    """Why the last private message failed, if it did."""

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="raise"
    )


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("person_id", "party_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))

    person: Mapped[Person] = relationship(back_populates="memberships", lazy="raise")
    party: Mapped[Party] = relationship(lazy="raise")


class Chat(Timestamped, Base):
    """A group chat the bot was added to; `linked` ones belong to the consortium."""

    __tablename__ = "chat"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16), default="supergroup")
    active: Mapped[bool] = mapped_column(default=True)
    linked: Mapped[bool] = mapped_column(default=False)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(8))


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
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind, "party_kind"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Invite(Timestamped, Base):
    """A deep-link invitation; only a hash of its token is stored."""

    __tablename__ = "invite"
    __table_args__ = (CheckConstraint("uses <= max_uses", name="uses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    party: Mapped[Party] = relationship(lazy="raise")


class InviteRedemption(Base):
    """Who used an invite, and when."""

    __tablename__ = "invite_redemption"

    invite_id: Mapped[int] = mapped_column(
        ForeignKey("invite.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    redeemed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
