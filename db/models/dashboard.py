"""Versions of what cached figures are computed from (`db/data_version.py` bumps them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class DataVersion(Base):
    """A counter raised by every commit that changed the data a cached figure reads
    (`analytics`: scores, reports, placements, people, parties, rules)."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
