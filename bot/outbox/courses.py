"""Course messages that must arrive, written in the caller's transaction: each attendee's
reminder before a session, in their language and time zone."""

from __future__ import annotations

from functools import partial

from bot.outbox.writer import OutboxWriter
from bot.renderers.courses import render_reminder
from bot.services.courses import Reminder


class CourseOutbox(OutboxWriter):
    async def reminders(self, due: list[Reminder]) -> None:
        for reminder in due:
            render = partial(render_reminder, reminder, self.now)
            await self._each([reminder.person], "course.reminder", render)
