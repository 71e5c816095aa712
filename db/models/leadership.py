"""The lease that makes one replica the leader, the others standbys (PostgreSQL only).

One row per lease name. Its `epoch` (a fencing token) grows by one each time another replica
takes the lease; `expires_at` is set from the database's clock, never a replica's. See
`bot.leadership` for the rules, `db.repositories.leadership` for the statements.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class LeaderLease(Base):
    """Who leads (`holder`, None once released), since which epoch, and until when."""

    __tablename__ = "leader_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    epoch: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
