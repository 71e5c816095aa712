"""Achievements and the revenue they bring."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from db.models import Achievement, Revenue


class AchievementRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, achievement: Achievement) -> Achievement:
        self.session.add(achievement)
        await self.session.flush()
        return achievement

    async def get(self, achievement_id: int) -> Achievement | None:
        return await self.session.get(Achievement, achievement_id)

    async def all(self) -> Sequence[Achievement]:
        rows = await self.session.scalars(select(Achievement).order_by(Achievement.id))
        return rows.all()

    async def add_revenue(self, revenue: Revenue) -> Revenue:
        self.session.add(revenue)
        await self.session.flush()
        return revenue

    async def revenues(self, achievement_id: int) -> Sequence[Revenue]:
        rows = await self.session.scalars(
            select(Revenue)
            .where(Revenue.achievement_id == achievement_id)
            .options(selectinload(Revenue.shares))
            .order_by(Revenue.id)
        )
        return rows.all()
