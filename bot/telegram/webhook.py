"""The webhook endpoint: Telegram's post is answered only once its update has been handled.

python-telegram-bot's own webhook server answers 200 as soon as the update is in the
process's queue, before any handler ran. Behind a load balancer, with two replicas, that
loses and reorders updates: a replica killed with updates still queued has confirmed them
to Telegram, which never sends them again; and a report draft's next step, posted as soon
as the previous one was confirmed, can reach the other replica and commit first. Here the
answer waits for the update's handler (its transaction committed, or rolled back and the
person told): a replica that dies mid-update never answered, so Telegram posts the update
again (to whichever replica the balancer picks, where the processed-updates claim makes a
second handling a no-op), and Telegram's next post for the chat comes after this one's work.

The rest is what python-telegram-bot's server did: the path, the secret header (403 without
it), JSON only (400), and an update python-telegram-bot cannot read handled as an empty one
(`bot.telegram.updates.readable`), so that one bad update is not posted again for ever.

Because a post is answered only once handled, Telegram's count of the updates it still
holds (getWebhookInfo's `pending_update_count`) falls to 0 only when every update it kept
while the bot was down has been handled and committed: the leader's first tick waits for
that (`look_at_pending`, `follow_pending`), so a vote kept then counts before the tick
closes its check-in.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from telegram import Bot, Update
from telegram.error import TelegramError

from bot.context import BotApplication
from bot.telegram.updates import PerChatUpdateProcessor, readable, without_nul

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes; Telegram's own posts stay far below
SHUTDOWN_SECONDS = 30.0  # a stopping replica finishes the updates it is handling, this long
BACKLOG_POLL_SECONDS = 0.5  # how often the leader asks Telegram what it still holds, at start


class WebhookServer:
    """Listens on `listen:port` at `path` and hands each posted update to the application's
    update processor (per-chat order, the concurrency limit), answering once it is done."""

    def __init__(self, application: BotApplication, *, path: str, secret: str) -> None:
        self.application = application
        self.path = "/" + path.strip("/")
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, listen: str, port: int) -> int:
        """Start listening; returns the port (the one given, or the one chosen for 0)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._post)
        app.router.add_post(self.path + "/", self._post)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, listen, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        """Stop accepting posts; the updates being handled finish and are answered first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        update = Update.de_json(readable(without_nul(data)), self.application.bot)
        processor = self.application.update_processor
        await processor.process_update(update, self.application.process_update(update))
        return web.Response(status=200)


async def look_at_pending(bot: Bot, processor: PerChatUpdateProcessor) -> bool:
    """Once the webhook is set, on the leader at start: ask Telegram how many updates it
    holds (kept while the bot was down, posted but not yet answered); if any, the scheduler's
    first tick waits for them (`PerChatUpdateProcessor.expect_pending`) and True is returned:
    `follow_pending` then tells the processor what Telegram holds until it holds none. A
    failed look leaves the scheduler as it was."""
    try:
        info = await bot.get_webhook_info()
    except TelegramError as exc:
        log.warning("could not look at the updates waiting at Telegram: %s", exc)
        return False
    processor.expect_pending(info.pending_update_count)
    return not processor.caught_up


async def follow_pending(
    bot: Bot, processor: PerChatUpdateProcessor, every: float = BACKLOG_POLL_SECONDS
) -> None:
    """Ask getWebhookInfo every `every` seconds until the processor is caught up: Telegram
    holds no update (or the processor gave up waiting, after a minute). A failed question is
    asked again (logged once); the minute bounds the wait all the same."""
    failed = False
    while not processor.caught_up:
        await asyncio.sleep(every)
        try:
            info = await bot.get_webhook_info()
        except TelegramError as exc:
            if not failed:
                log.warning("could not ask Telegram for the updates still waiting: %s", exc)
                failed = True
            continue
        processor.pending(info.pending_update_count)
