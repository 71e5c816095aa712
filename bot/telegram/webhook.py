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
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.context import BotApplication
from bot.telegram.updates import readable, without_nul

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes; Telegram's own posts stay far below
SHUTDOWN_SECONDS = 30.0  # a stopping replica finishes the updates it is handling, this long


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
