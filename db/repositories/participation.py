"""Mandatory participation: the weeks each mentor was asked to score and scored, and the
reminders sent to those below the least share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assessment, ParticipationAlert


class ParticipationRepo:
    """Weeks asked of and scored by each mentor; the reminders' steps."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mentor_weeks(self, asked_before: dt.datetime) -> list[tuple[int, int, int]]:
        """(mentor id, weeks scored, weeks asked) over the weekly reports whose scores were
        asked for before `asked_before` (imported scores were never asked for)."""
        rows = await self.session.execute(
            select(
                Assessment.mentor_id,
                func.sum(case((Assessment.completed_at.is_not(None), 1), else_=0)),
                func.count(),
            )
            .where(
                Assessment.mentor_id.is_not(None),
                Assessment.report_id.is_not(None),
                Assessment.requested_at < asked_before,
            )
            .group_by(Assessment.mentor_id)
            .order_by(Assessment.mentor_id)
        )
        return [(int(m), int(scored or 0), int(asked)) for m, scored, asked in rows]

    async def alerts(self) -> dict[int, ParticipationAlert]:
        rows = await self.session.scalars(select(ParticipationAlert))
        return {row.mentor_id: row for row in rows}

    async def alert_of(self, mentor_id: int) -> ParticipationAlert | None:
        return await self.session.get(ParticipationAlert, mentor_id)

    async def add_alert(self, alert: ParticipationAlert) -> None:
        self.session.add(alert)
        await self.session.flush()

    async def clear(self, mentor_ids: Sequence[int]) -> None:
        """Mentors back above the share: a later fall starts from the first step again."""
        if mentor_ids:
            await self.session.execute(
                delete(ParticipationAlert).where(ParticipationAlert.mentor_id.in_(mentor_ids))
            )
