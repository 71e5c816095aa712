"""The Mini App's API calls counted per person and minute, so that replicas on one PostgreSQL
database share each person's allowance (`bot.web.limit`, `db.repositories.api_calls`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class ApiCallCount(Base):
    """A person's calls let through in the minute that began at `window_start` (by the
    database's clock); rows older than the last minute are pruned by the scheduler. An
    UNLOGGED table on PostgreSQL (migration 0018): counts need not survive a crash."""

    __tablename__ = "api_call_count"

    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    calls: Mapped[int] = mapped_column(Integer)
