"""A revenue split, posted to the contacts of every party that shares in it and to the
students, each in their own language, through the outbox."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from bot.outbox.writer import OutboxWriter
from bot.renderers.achievements import render_split
from bot.services.achievements import RevenueAdded
from db.models import Person


class AchievementOutbox(OutboxWriter):
    async def split(self, added: RevenueAdded, raised_at: Decimal, skip: Person) -> None:
        render = partial(render_split, added, raised_at)
        await self._each(added.notify, "revenue.split", render, skip=skip)
