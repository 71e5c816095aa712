"""Mandatory participation: how far the reminders of a mentor below the least share of
weeks scored have gone (each step is written once, with its message)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class ParticipationAlert(Base):
    """A mentor below the share: the last step taken (mentor, contact, coordinators) and
    when. The row goes when the mentor is back above the share."""

    __tablename__ = "participation_alert"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    scored: Mapped[int] = mapped_column()
    due: Mapped[int] = mapped_column()
