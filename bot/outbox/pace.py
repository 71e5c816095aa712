"""Training pace's messages that must arrive: the coordinators' warning of a gap ahead in a
student's programme, written with the record that it was warned (so, once per gap)."""

from __future__ import annotations

from bot.outbox.writer import OutboxWriter
from bot.renderers.pace import render_gap_warning
from bot.services.courses import coordinators
from bot.services.pace import GapWarning


class PaceOutbox(OutboxWriter):
    async def gaps(self, warnings: list[GapWarning]) -> None:
        if not warnings:
            return
        for coordinator in await coordinators(self.repos):
            t = await self._for_person(coordinator)
            for warning in warnings:
                await self._add(
                    coordinator.telegram_id,
                    "pace.gap",
                    text=render_gap_warning(warning, t),
                    person=coordinator,
                )
