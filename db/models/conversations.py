"""The guided conversation each person is in, kept across restarts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class Conversation(Base):
    """The guided conversation a person is in (a report draft, scoring a report), so that
    their next private message continues it, across restarts."""

    __tablename__ = "conversation"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "report" or "score"
    ref_id: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
