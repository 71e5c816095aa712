"""Running the bot: migrate, initialise, poll until told to stop, shut down cleanly.

`python -m bot` and the end-to-end tests go through the same `serve` coroutine.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any
from urllib.parse import urlsplit

from telegram.error import TelegramError
from telegram.ext import BaseRateLimiter

from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import SERVICES_KEY, BotApplication, Services
from bot.leadership import SingleProcessLock
from bot.ops.health import HealthServer
from bot.telegram.menus import set_default_menus, set_menu_button
from bot.telegram.updates import PerChatUpdateProcessor
from bot.telegram.webhook import WebhookServer, follow_pending, look_at_pending
from db.migrate import current_revision, upgrade

log = logging.getLogger(__name__)


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    ready: asyncio.Event | None = None,
    poll_timeout: int = 10,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> None:
    """Run until `stop` is set; `ready` is set once updates can arrive (polling, or the
    webhook listening and registered). On SQLite a second process on the same file is
    refused (`bot.leadership.InUse`); on PostgreSQL replicas share the work through the lease,
    only the leader sending and polling."""
    lock = SingleProcessLock(settings.database_url)
    lock.acquire()
    try:
        await _serve(settings, stop, clock, ready, poll_timeout, rate_limiter)
    finally:
        lock.release()


async def _serve(
    settings: Settings,
    stop: asyncio.Event,
    clock: Clock | None,
    ready: asyncio.Event | None,
    poll_timeout: int,
    rate_limiter: BaseRateLimiter[Any] | None,
) -> None:
    application = build_application(settings, clock=clock, rate_limiter=rate_limiter)
    services: Services = application.bot_data[SERVICES_KEY]
    leadership = services.leadership
    await upgrade(services.database.engine)
    log.info("database at revision %s", await current_revision(services.database.engine))
    webhook: WebhookServer | None = None
    health = await _start_health(services, settings)
    drains: set[asyncio.Task[int]] = set()

    async def drain_at_once(epoch: int) -> None:
        # A new leader sends what waits now, not at the next tick.
        task = asyncio.create_task(services.sender.drain(application), name="elected-drain")
        drains.add(task)
        task.add_done_callback(drains.discard)

    await leadership.start()
    lease_stop = asyncio.Event()
    lease = asyncio.create_task(leadership.run(lease_stop), name="lease")
    web_server = None
    backlog: asyncio.Task[None] | None = None
    try:
        async with application:  # getMe, then shutdown on the way out
            if settings.web_port:
                from bot.web.server import WebServer  # aiohttp's server: only when asked for

                web_server = WebServer(application)
                await web_server.start(settings.web_listen, settings.web_port)
                log.info("mini app on http://%s:%s/app/", settings.web_listen, web_server.port)
            assert application.updater is not None
            if settings.bot_mode == "webhook":
                webhook = await _start_webhook(application, settings)
                if leadership.is_leader:
                    # As in polling mode, only the leader at start: a replica that leads
                    # later took over from one that was handling posts meanwhile.
                    backlog = await _expect_webhook_backlog(application)
            else:
                if leadership.is_leader:
                    # A standby does not look: its getUpdates waits for the lease (and, sent,
                    # would end the leader's long poll with a 409); the leader it replaces
                    # polled until it stopped, so little can wait when it takes over.
                    await _expect_backlog(application)
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES,
                    timeout=min(poll_timeout, leadership.poll_timeout),
                    poll_interval=0,
                )
            await application.start()
            # From now on (the bot initialized, the first tick due at once) a replica that
            # becomes the leader drains at once.
            leadership.on_elected(drain_at_once)
            # Best effort and four round trips: set while updates already arrive.
            application.create_task(
                set_default_menus(application.bot, services.translations), name="default-menus"
            )
            if settings.webapp_url:
                t = services.translations.for_language(settings.default_language)
                application.create_task(
                    set_menu_button(application.bot, settings.webapp_url, t), name="menu-button"
                )
            log.info("%s as @%s, %s", settings.bot_mode, application.bot.username, leadership.role)
            if ready is not None:
                ready.set()
            try:
                await stop.wait()
            finally:
                log.info("stopping")
                if webhook is not None:  # no new posts; those in hand are handled first
                    await webhook.stop()
                leadership.resign()  # nothing new is sent; what is in flight is recorded
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
                if web_server is not None:
                    await web_server.stop()
                for task in list(drains):
                    with contextlib.suppress(Exception, asyncio.CancelledError):
                        await task
    finally:
        if backlog is not None:
            backlog.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await backlog
        lease_stop.set()
        await lease
        await leadership.release()
        if health is not None:
            await health.stop()
        await services.database.dispose()


async def _start_health(services: Services, settings: Settings) -> HealthServer | None:
    """/healthz (and /metrics when on) on METRICS_PORT, else on HEALTH_PORT, else nowhere."""
    port = settings.metrics_port or settings.health_port
    if not port:
        return None
    health = HealthServer(services)
    await health.start(settings.metrics_listen, port)
    what = "metrics and health" if services.metrics is not None else "health"
    log.info("%s on http://%s:%s/", what, settings.metrics_listen, health.port)
    return health


async def _expect_backlog(application: BotApplication) -> None:
    """Look (without confirming any) at the updates Telegram kept while the bot was down,
    so that the scheduler's first tick waits until they are handled: a vote cast before a
    check-in's close time counts though the close fell due while the bot was down. Only
    the first page (100 updates) is seen; a failed look leaves the scheduler as it was."""
    processor = application.update_processor
    if not isinstance(processor, PerChatUpdateProcessor):
        return
    try:
        # As start_polling does next: a webhook left from WEBHOOK mode refuses getUpdates.
        await application.bot.delete_webhook(drop_pending_updates=False)
        waiting = await application.bot.get_updates(timeout=0, allowed_updates=ALLOWED_UPDATES)
    except TelegramError as exc:
        log.warning("could not look at the updates waiting at Telegram: %s", exc)
        return
    processor.expect_backlog([update.update_id for update in waiting])


async def _expect_webhook_backlog(application: BotApplication) -> asyncio.Task[None] | None:
    """Webhook mode: the updates Telegram kept while the bot was down are posted to the
    webhook, not looked at; the first tick waits until Telegram holds none (asked every
    half second, a minute at most), so a vote kept then counts before its check-in closes.
    The task that keeps asking, if there is anything to wait for."""
    processor = application.update_processor
    if not isinstance(processor, PerChatUpdateProcessor):
        return None
    if not await look_at_pending(application.bot, processor):
        return None
    return asyncio.create_task(follow_pending(application.bot, processor), name="webhook-backlog")


async def _start_webhook(application: BotApplication, settings: Settings) -> WebhookServer:
    """Listen on WEBHOOK_LISTEN:WEBHOOK_PORT at WEBHOOK_URL's path and tell Telegram to post
    there with the secret; requests without it are refused (403). Every replica behind a
    load balancer does the same with the same URL (the balancer's): the webhook is never
    deleted on the way out, as the other replicas still serve it."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    server = WebhookServer(application, path=urlsplit(settings.webhook_url).path, secret=secret)
    await server.start(settings.webhook_listen, settings.webhook_port)
    await application.bot.set_webhook(
        settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
    )
    return server


def settle_heap() -> None:
    """Once the process has started: what exists now (modules, handlers, prebuilt
    statements) lives as long as the process does. `gc.freeze` takes it out of the
    collector's generations, so that no full collection scans it again, and a young
    generation of 10,000 objects (Python's default is 700) runs the collector less often
    while an update's short-lived objects come and go. Under the update path's load the
    collector took 4.1% of the CPU, 0.5% after this (python-telegram-bot alone gains
    from it too: `benchmarks.updates` settles both before timing them). Process-wide, so
    only `python -m bot` does it, not `serve` (which the tests run many times)."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def run_until_signalled(settings: Settings) -> None:
    """`python -m bot`: serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    settle_heap()
    await serve(settings, stop)
