"""The scheduler tick: whatever the database says is due runs now, then the outbox drains.

One repeating job with a stable name; nothing else is scheduled in memory, so a restart
loses nothing and a step that fell due while the bot was down runs on the first tick.
"""

from __future__ import annotations

import logging

from bot.context import BotContext
from bot.notifier import Notifier
from bot.services import liaison

log = logging.getLogger(__name__)
TICK_JOB = "scheduler-tick"


async def tick(context: BotContext) -> None:
    """Run due liaison steps (one transaction each), then deliver the outbox."""
    services = context.services
    now = services.clock.now()
    async with services.database.transaction() as repos:
        due = await repos.requests.due(now)
    for request_id in due:
        async with services.database.transaction() as repos:
            ctx = liaison.Context(repos, now, services.settings.default_timezone)
            notices = await liaison.run_due(ctx, request_id)
            await Notifier(services, repos, context.bot.username).enqueue(notices, now)
    await services.dispatcher.drain(context.application)
