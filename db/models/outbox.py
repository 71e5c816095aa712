"""Messages that must arrive: written in the transaction that causes them, sent after it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime, enum_column
from db.models.kinds import OutboxState


class Outbox(Base):
    """A message that must arrive: written with the change that causes it, sent afterwards."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(String(4096))
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_to_message_id: Mapped[int | None] = mapped_column(Integer)
    thread_id: Mapped[int | None] = mapped_column(Integer)  # a forum topic (None: General)
    file_id: Mapped[str | None] = mapped_column(String(200))
    file_kind: Mapped[str | None] = mapped_column(String(16))  # "photo" or "document"
    kind: Mapped[str] = mapped_column(String(16), default="message", server_default="message")
    """"message", "poll" (the `poll` column) or "stop_poll" (`reply_to_message_id`)."""
    poll: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(32))  # what it is for, e.g. "liaison.contact"
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("liaison_request.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before"),
        Index("ix_outbox_sent_message", "chat_id", "message_id"),
    )
