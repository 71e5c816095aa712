"""The consortium file's sections of rules, as imported."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class ConsortiumRules(Base):
    """One section of rules from the consortium file (topics, achievements, credits,
    digest), as the file states it after checking."""

    __tablename__ = "consortium_rules"

    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
