"""`build_application(settings)`: the only place where the bot is wired together.

Building makes no network call and opens no database connection; `bot.runner` migrates,
initialises and starts what this returns.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationBuilder, BaseRateLimiter, ContextTypes

from bot.clock import Clock, SystemClock
from bot.config import Settings, opt_in_library_defaults
from bot.context import SERVICES_KEY, BotApplication, BotContext, Services
from bot.domain.language import resolve_language
from bot.domain.telegram_text import alert_text
from bot.i18n import Translations
from bot.leadership import Leadership
from bot.ops.metrics import MeteredRequest, Metrics
from bot.outbox import checkin as checkin_outbox
from bot.outbox import liaison as liaison_outbox
from bot.outbox.sender import Hooks, Sender
from bot.renderers.access import render_error
from bot.telegram.ratelimit import TelegramRateLimiter
from bot.telegram.updates import LenientUpdatesRequest, PerChatUpdateProcessor
from db.engine import Database
from handlers import (
    achievements,
    admin,
    analytics,
    base,
    checkin,
    groups,
    liaison,
    onboarding,
    profile,
    reports,
    topics,
)
from jobs import scheduler

log = logging.getLogger(__name__)

# The update types the bot asks Telegram for (poll answers come only when asked for).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.POLL,
    Update.POLL_ANSWER,
    Update.MY_CHAT_MEMBER,
]


def build_sender() -> Sender:
    """The outbox's sender, told what each feature does when its messages are sent or
    refused (the sender itself knows no feature)."""
    hooks = Hooks()
    checkin_outbox.register(hooks)  # poll ids recorded; a group lost or upgraded
    liaison_outbox.register(hooks)  # messages remembered for replies; refusals move it on
    return Sender(hooks)


def build_leadership(
    settings: Settings, database: Database, metrics: Metrics | None, clock: Clock | None
) -> Leadership:
    """PostgreSQL: a lease decides which replica leads. SQLite: this process leads alone
    (`bot.leadership.SingleProcessLock` keeps it alone)."""
    if database.engine.dialect.name != "postgresql":
        return Leadership(metrics=metrics)
    return Leadership(
        database,
        lease_seconds=settings.lease_seconds,
        renew_seconds=settings.lease_renew_seconds,
        metrics=metrics,
        wall_clock=(clock or SystemClock()).now,
    )


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    translations: Translations | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> BotApplication:
    """The Application with every handler registered, and the shared services in bot_data."""
    opt_in_library_defaults()
    metrics = Metrics() if settings.metrics_port else None
    # the updates handled at once, the outbox's drain and the scheduler's jobs
    database = Database.from_url(settings.database_url, concurrency=settings.concurrent_updates + 4)
    leadership = build_leadership(settings, database, metrics, clock)
    proxy = settings.api_proxy()
    limiter = rate_limiter or TelegramRateLimiter(
        chat_gap=settings.rate_limit_chat_gap, margin=settings.rate_limit_margin
    )
    if isinstance(limiter, TelegramRateLimiter):
        leadership.count_sends_with(limiter)
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(limiter)
        .concurrent_updates(PerChatUpdateProcessor(settings.concurrent_updates, metrics))
        # The bot's own requests (aiohttp, a pool of 256 as PTB's default), counting the
        # failed ones by kind.
        .request(MeteredRequest(metrics, connection_pool_size=256, proxy=proxy))
        # getUpdates: one pooled connection, as PTB's default, but an unreadable update is
        # skipped instead of stopping polling for good; only the leader's go out.
        .get_updates_request(
            LenientUpdatesRequest(
                metrics, connection_pool_size=1, proxy=proxy, gate=leadership.wait_to_poll
            )
        )
        .build()
    )
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings,
        database=database,
        translations=translations or Translations.load(),
        clock=clock or SystemClock(),
        sender=build_sender(),
        metrics=metrics,
        leadership=leadership,
    )
    # Order matters: edited messages are taken first (an edit never acts); liaison's reply
    # handler comes before onboarding's catch-all for private messages; the catch-all for
    # button presses no handler took comes last (every press is answered).
    application.add_handler(base.edits())
    modules = (profile, admin, groups, checkin, liaison, reports, topics, achievements, analytics)
    for module in (*modules, onboarding):
        application.add_handlers(module.build_handlers())
    application.add_handler(base.unknown_buttons())
    application.add_error_handler(on_error)
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        scheduler.tick, interval=settings.scheduler_tick_seconds, first=0, name=scheduler.TICK_JOB
    )
    return application


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure; tell the person, in their language, that nothing was changed."""
    log.error("an update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    language = resolve_language(None, user.language_code if user else None, None)
    t = context.services.translations.for_language(language)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(alert_text(render_error(t).text), show_alert=True)
        elif update.effective_chat.type == ChatType.PRIVATE or update.effective_message:
            await context.bot.send_message(
                update.effective_chat.id, render_error(t).text, parse_mode=ParseMode.HTML
            )
    except (Forbidden, TelegramError):
        log.warning("could not tell the person about the failure", exc_info=True)
