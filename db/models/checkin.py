"""The monthly check-in: its policy, polls, votes and action items."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamped, UTCDateTime, enum_column
from db.models.kinds import CheckinState, PublicHolidays


class CheckinPolicy(Timestamped, Base):
    """The consortium's monthly check-in: when, for how long, reminders, holidays."""

    __tablename__ = "checkin_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule: Mapped[str] = mapped_column(String(32), default="first mon 10:00")
    open_for: Mapped[int] = mapped_column(Integer, default=72 * 3600)  # seconds
    reminders: Mapped[list[int]] = mapped_column(JSON, default=list)  # seconds before closing
    holidays: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    """Per country code: ISO dates on which no check-in is held."""
    public_holidays: Mapped[PublicHolidays] = mapped_column(
        enum_column(PublicHolidays, "public_holidays"),
        default=PublicHolidays.CONSORTIUM,
        server_default=PublicHolidays.CONSORTIUM.value,
    )


class Checkin(Timestamped, Base):
    __tablename__ = "checkin"
    __table_args__ = (
        # At most one open check-in: two coordinators opening at once cannot both succeed.
        Index(
            "uq_checkin_one_open",
            "state",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date, unique=True)
    """The date of a scheduled check-in (None when a coordinator opened it at once)."""
    state: Mapped[CheckinState] = mapped_column(
        enum_column(CheckinState, "checkin_state"), default=CheckinState.OPEN, index=True
    )
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """At closing: votes per option and who answered per party."""


class CheckinPoll(Base):
    """The check-in's poll in one group; at most one per check-in and group."""

    __tablename__ = "checkin_poll"
    __table_args__ = (UniqueConstraint("checkin_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(Integer)
    poll_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class CheckinVote(Base):
    """A person's current answer in one group's poll (a withdrawn vote is deleted)."""

    __tablename__ = "checkin_vote"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("checkin_poll.id", ondelete="CASCADE"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    option_ids: Mapped[list[int]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class EarlyPollAnswer(Base):
    """A vote that arrived before the bot had recorded which poll Telegram gave its message
    (a quick voter can answer between Telegram's reply to sendPoll and our write of its id).
    Kept until that poll is known, then counted; forgotten after two days."""

    __tablename__ = "early_poll_answer"

    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    option_ids: Mapped[list[int]] = mapped_column(JSON)  # empty: the vote was withdrawn
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class ActionItem(Timestamped, Base):
    """Something to do, recorded during a check-in and carried until done."""

    __tablename__ = "action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkin.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
