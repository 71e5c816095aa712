"""Enterprise training records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TrainingRecord


class TrainingRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: TrainingRecord) -> TrainingRecord:
        self.session.add(record)
        await self.session.flush()
        return record

    async def student_ids(self) -> set[int]:
        """Every student with training recorded."""
        rows = await self.session.scalars(select(TrainingRecord.student_id).distinct())
        return set(rows.all())

    async def days(self) -> list[tuple[int, dt.date]]:
        """(student id, day) of every record, for every student's programme at once."""
        rows = await self.session.execute(
            select(TrainingRecord.student_id, TrainingRecord.day).distinct()
        )
        return [(student, day) for student, day in rows]

    async def of_student(self, student_id: int) -> Sequence[TrainingRecord]:
        rows = await self.session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.student_id == student_id)
            .order_by(TrainingRecord.day, TrainingRecord.id)
        )
        return rows.all()
