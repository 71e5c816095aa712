"""People, the roles they hold in parties, and the invitations they join with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, Timestamped, UTCDateTime, enum_column
from db.models.consortium import Party
from db.models.kinds import Role


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
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))

    person: Mapped[Person] = relationship(back_populates="memberships", lazy="raise")
    party: Mapped[Party] = relationship(lazy="raise")


class Invite(Timestamped, Base):
    """A deep-link invitation; only a hash of its token is stored."""

    __tablename__ = "invite"
    __table_args__ = (CheckConstraint("uses <= max_uses", name="uses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
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
