"""Questions for a party, what happened to them, and the messages sent about them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamped, UTCDateTime, enum_column
from db.models.kinds import RequestState


class LiaisonRequest(Timestamped, Base):
    """A question for a party, routed to its on-call contact."""

    __tablename__ = "liaison_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where it was asked (Telegram id)
    question_message_id: Mapped[int] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(Integer)
    """The forum topic it was asked in: what the group gets about it goes there."""
    question: Mapped[str] = mapped_column(String(4000))
    urgent: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RequestState] = mapped_column(
        enum_column(RequestState, "request_state"), default=RequestState.OPEN, index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    """How many escalation steps have run."""
    next_action_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    """When the scheduler must look at it next (delivery after quiet hours, or escalation)."""


class RequestEvent(Base):
    """Everything that happened to a request, in order."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    detail: Mapped[str | None] = mapped_column(String(300))


class LiaisonMessage(Base):
    """A message the bot sent about a request: replies to it belong to that request."""

    __tablename__ = "liaison_message"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))  # "contact" or "asker"
