"""Running the bot: migrate, initialise, poll until told to stop, shut down cleanly.

`python -m bot` and the end-to-end tests go through the same `serve` coroutine.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import SERVICES_KEY, Services
from bot.menus import set_default_menus
from db.migrate import current_revision, upgrade

log = logging.getLogger(__name__)


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    ready: asyncio.Event | None = None,
    poll_timeout: int = 10,
) -> None:
    """Run until `stop` is set; `ready` is set once the bot is polling."""
    application = build_application(settings, clock=clock)
    services: Services = application.bot_data[SERVICES_KEY]
    await upgrade(services.database.engine)
    log.info("database at revision %s", await current_revision(services.database.engine))
    try:
        async with application:  # getMe, then shutdown on the way out
            await set_default_menus(application.bot, services.translations)
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=poll_timeout, poll_interval=0
            )
            await application.start()
            log.info("polling as @%s", application.bot.username)
            if ready is not None:
                ready.set()
            try:
                await stop.wait()
            finally:
                log.info("stopping")
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
    finally:
        await services.database.dispose()


async def run_until_signalled(settings: Settings) -> None:
    """`python -m bot`: serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop)
