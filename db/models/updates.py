"""The updates already handled, so a redelivered one takes effect once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class ProcessedUpdate(Base):
    """An update already handled: Telegram may deliver it again after a restart, and the
    handler's transaction records it, so it takes effect once."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
