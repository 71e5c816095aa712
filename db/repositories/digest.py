"""The monthly figures of each party, as the digest showed them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import PartyMonth


class DigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_month(self, month: dt.date) -> dict[int, PartyMonth]:
        rows = await self.session.scalars(select(PartyMonth).where(PartyMonth.month == month))
        return {row.party_id: row for row in rows.all()}

    async def any(self) -> bool:
        return await self.session.scalar(select(PartyMonth.party_id).limit(1)) is not None

    async def add(self, row: PartyMonth) -> None:
        self.session.add(row)
        await self.session.flush()
