"""The assessment manual's versions, and the scores a re-scoring under a newer version
replaced (kept, with the version they were given under)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Score, UTCDateTime, enum_column
from db.models.kinds import PartyKind


class ManualVersion(Base):
    """A consortium's own manual, as its file stated it (version 1, the built-in rubric, is
    in the code and has no row)."""

    __tablename__ = "manual_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AssessmentHistory(Base):
    """A week's scores as one party gave them before it was scored again under a newer
    manual: the current scores stay on `assessment`, the earlier ones here."""

    __tablename__ = "assessment_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    student_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    week: Mapped[dt.date] = mapped_column(Date)
    party_kind: Mapped[PartyKind] = mapped_column(enum_column(PartyKind, "party_kind"))
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    tech_rd: Mapped[float | None] = mapped_column(Score)
    cross_cultural: Mapped[float | None] = mapped_column(Score)
    rule_adaptation: Mapped[float | None] = mapped_column(Score)
    comment: Mapped[str | None] = mapped_column(String(1000))
    manual_version: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    replaced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
