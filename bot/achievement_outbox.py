"""A revenue split, posted to the contacts of every party that shares in it and to the
students, each in their own language, through the outbox."""

from __future__ import annotations

from decimal import Decimal

from bot.outbox_writer import OutboxWriter
from bot.renderers.achievements import render_split
from bot.services.achievements import RevenueAdded


class AchievementOutbox(OutboxWriter):
    async def split(self, added: RevenueAdded, raised_at: Decimal, skip: int | None) -> None:
        for person in added.notify:
            if person.id == skip:
                continue
            t = await self._for_person(person)
            await self._add(
                person.telegram_id,
                "revenue.split",
                text=render_split(added, raised_at, t),
                person=person,
            )
