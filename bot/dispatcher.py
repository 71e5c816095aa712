"""Delivers the outbox: every message that must arrive, in order, exactly as written.

Sent messages are marked with Telegram's message id (and, for liaison messages, remembered
so replies find their request). Transient failures (5xx, timeouts) are retried with
exponential back-off, a 429 waits for its `retry_after`, and a 403 (never pressed Start,
blocked) is recorded on the person and handed to the liaison service to move on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import SERVICES_KEY, Services
from bot.notifier import ASKER_PURPOSES, CONTACT_PURPOSES, Notifier
from bot.services import liaison
from db.models import Outbox, OutboxState

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = dt.timedelta(minutes=10)


class Dispatcher:
    """One drain at a time per process; a kick during a drain makes it go round again."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._again = False

    async def drain(self, application: Application[Any, Any, Any, Any, Any, Any]) -> int:
        if self._lock.locked():
            self._again = True
            return 0
        sent = 0
        async with self._lock:
            while True:
                self._again = False
                services: Services = application.bot_data[SERVICES_KEY]
                async with services.database.transaction() as repos:
                    batch = [row.id for row in await repos.outbox.due(services.clock.now())]
                for outbox_id in batch:
                    sent += await self._send(application, services, outbox_id)
                if not batch and not self._again:
                    return sent

    async def _send(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        outbox_id: int,
    ) -> int:
        async with services.database.transaction() as repos:
            row = await repos.outbox.get(outbox_id)
            if row is None or row.state is not OutboxState.PENDING:
                return 0
            snapshot = _Snapshot(row)
        try:
            message_id = await snapshot.send(application.bot)
        except Forbidden as exc:
            await self._refused(application, services, outbox_id, str(exc))
            return 0
        except RetryAfter as exc:
            retry = exc.retry_after
            wait = retry if isinstance(retry, dt.timedelta) else dt.timedelta(seconds=retry)
            await self._later(services, outbox_id, wait, str(exc), count=False)
            return 0
        except BadRequest as exc:
            log.warning("outbox %s refused by Telegram: %s", outbox_id, exc)
            await self._fail(services, outbox_id, str(exc))
            return 0
        except NetworkError as exc:
            await self._later(services, outbox_id, None, str(exc), count=True)
            return 0
        async with services.database.transaction() as repos:
            row = await repos.outbox.get(outbox_id)
            assert row is not None
            row.state, row.message_id = OutboxState.SENT, message_id
            row.sent_at, row.error = services.clock.now(), None
            row.attempts += 1
            if row.request_id is not None and row.purpose in CONTACT_PURPOSES | ASKER_PURPOSES:
                role = "contact" if row.purpose in CONTACT_PURPOSES else "asker"
                await repos.requests.remember_message(row.chat_id, message_id, row.request_id, role)
        return 1

    async def _later(
        self,
        services: Services,
        outbox_id: int,
        wait: dt.timedelta | None,
        error: str,
        *,
        count: bool,
    ) -> None:
        async with services.database.transaction() as repos:
            row = await repos.outbox.get(outbox_id)
            assert row is not None
            if count:
                row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                row.state, row.error = OutboxState.FAILED, error[:300]
                log.error("outbox %s gave up after %s attempts: %s", outbox_id, row.attempts, error)
                return
            backoff = wait or min(MAX_BACKOFF, dt.timedelta(seconds=2**row.attempts))
            row.not_before = services.clock.now() + backoff
            row.error = error[:300]

    async def _fail(self, services: Services, outbox_id: int, error: str) -> None:
        async with services.database.transaction() as repos:
            row = await repos.outbox.get(outbox_id)
            assert row is not None
            row.state, row.error, row.attempts = OutboxState.FAILED, error[:300], row.attempts + 1

    async def _refused(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        outbox_id: int,
        error: str,
    ) -> None:
        """403: the person cannot be written to; the liaison moves on, coordinators are told."""
        now = services.clock.now()
        async with services.database.transaction() as repos:
            row = await repos.outbox.get(outbox_id)
            assert row is not None
            row.state, row.error, row.attempts = OutboxState.FAILED, error[:300], row.attempts + 1
            person = await repos.people.by_id(row.person_id) if row.person_id else None
            if person is None:
                return
            person.can_message, person.message_error = False, error[:200]
            if row.request_id is not None and row.purpose == "liaison.deliver":
                context = liaison.Context(repos, now, services.settings.default_timezone)
                notices = await liaison.delivery_failed(context, row.request_id, person, error)
                notifier = Notifier(services, repos, application.bot.username)
                await notifier.enqueue(notices, now)


class _Snapshot:
    """The fields of an outbox row, read inside its transaction, sent outside it."""

    def __init__(self, row: Outbox) -> None:
        self.chat_id = row.chat_id
        self.text = row.text or ""
        self.markup = row.reply_markup
        self.reply_to = row.reply_to_message_id
        self.file_id = row.file_id
        self.file_kind = row.file_kind

    async def send(self, bot: Any) -> int:
        reply = (
            ReplyParameters(self.reply_to, allow_sending_without_reply=True)
            if self.reply_to
            else None
        )
        markup: InlineKeyboardMarkup | ForceReply | None = None
        if self.markup and "inline_keyboard" in self.markup:
            markup = InlineKeyboardMarkup.de_json(self.markup, bot)
        elif self.markup and self.markup.get("force_reply"):
            markup = ForceReply.de_json(self.markup, bot)
        if self.file_id and self.file_kind == "photo":
            message = await bot.send_photo(
                self.chat_id,
                self.file_id,
                caption=self.text[:1024],
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=markup,
            )
        elif self.file_id:
            message = await bot.send_document(
                self.chat_id,
                self.file_id,
                caption=self.text[:1024],
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=markup,
            )
        else:
            message = await bot.send_message(
                self.chat_id,
                self.text,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        return int(message.message_id)


__all__ = ["Dispatcher", "TelegramError"]
