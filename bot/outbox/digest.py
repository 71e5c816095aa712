"""The monthly digest, sent privately to every coordinator: a summary, then a section per
party (the flagged ones first), in as few messages as fit."""

from __future__ import annotations

from bot.outbox.writer import OutboxWriter
from bot.renderers.digest import render_digest
from bot.services.digest import Digest


class DigestOutbox(OutboxWriter):
    async def digest(self, digest: Digest) -> None:
        for coordinator in digest.coordinators:
            t = await self._for_person(coordinator)
            for text in render_digest(digest, t):
                await self._add(coordinator.telegram_id, "digest", text=text, person=coordinator)
