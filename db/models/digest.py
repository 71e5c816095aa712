"""Each party's monthly collaboration figures, as the coordinators' digest showed them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, UTCDateTime


class PartyMonth(Base):
    """A party's collaboration figures for one month, as the coordinators' digest showed
    them, and whether it was below the thresholds."""

    __tablename__ = "party_month"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("party.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # its first day
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    below: Mapped[list[str]] = mapped_column(JSON)  # the figures under their threshold
    flagged: Mapped[bool] = mapped_column(default=False)  # below this month and the last
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
