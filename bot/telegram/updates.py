"""Updates processed concurrently where it is safe: those of different chats at once, those
of one chat (or, without a chat, of one person) one after another in arrival order, and a
command that reads what others write only once every update that arrived before it has
committed what it wrote (so `/checkin close` counts the vote Telegram delivered just before
it, though the vote came from another lane). Replies still on their way do not hold a
command up, and a command that reads only its caller's own records (`/ask`, `/report`)
waits for nothing but its own lane."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.domain.access import COMMANDS_BY_NAME
from bot.logs import current_update
from bot.ops.metrics import MeteredRequest, Metrics

log = logging.getLogger(__name__)
JSONDict = dict[str, Any]
NO_UPDATES = b'{"ok": true, "result": []}'
UNBOUNDED = 2**31 - 1  # the base class's semaphore: every update may enter and take its turn
_committed: ContextVar[Callable[[], None] | None] = ContextVar("committed", default=None)


def committed() -> None:
    """The running update has committed its transaction: a command that waits for it may
    start (what it reads is written); the update's reply may still be on its way."""
    signal = _committed.get()
    if signal is not None:
        signal()


def is_command(update: object) -> bool:
    """A message that starts with a bot command: it may read what any earlier update wrote."""
    if not isinstance(update, Update) or update.message is None:
        return False
    entities = update.message.entities
    return bool(entities) and entities[0].type == "bot_command" and entities[0].offset == 0


def waits_for_earlier(update: object) -> bool:
    """A command that reads what other updates write (its spec's `waits`); an unknown
    command waits too, as nothing says it may not."""
    if not is_command(update):
        return False
    assert isinstance(update, Update) and update.message is not None
    entity = update.message.entities[0]
    name = (update.message.text or "")[1 : entity.length].split("@", 1)[0].lower()
    spec = COMMANDS_BY_NAME.get(name)
    return spec is None or spec.waits


def lane(update: object) -> int | None:
    """The chat (else the person) whose updates must keep their order; None: no order."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One update at a time per lane, first come first served (asyncio's locks wake waiters
    in order); a command that waits (its spec says so) waits, once it has its lane, until
    every update that arrived before it has committed (or ended); and at most
    `max_concurrent_updates` are handled at once. Idle lanes are dropped, so memory does not
    grow with the number of chats ever seen.

    The limit is a slot taken once an update has its lane (and what it waits for): an update
    waiting behind its chat's previous one holds no slot, and one that has committed gives
    its slot back while its reply is on its way (it keeps its lane: its chat's next update
    still waits for the reply to be sent). With python-telegram-bot's own
    semaphore in front, waiting updates held the slots: a student's three messages in a row
    took three, and a busy group's burst could take all of them while other chats waited.
    So the base class's semaphore is given room for every update (it only counts), and the
    slots are this class's own.

    Updates start in arrival order: the Application creates their tasks in order, and each
    reaches its lane's lock without a pause."""

    def __init__(self, max_concurrent_updates: int = 16, metrics: Metrics | None = None) -> None:
        self._limit = UNBOUNDED  # what the base class sizes its semaphore by (the property)
        super().__init__(UNBOUNDED)
        self._limit = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._active = 0
        self.metrics = metrics
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._running: set[asyncio.Future[None]] = set()
        self._highest = 0  # the highest update id that has started
        self._handling: set[int] = set()  # the update ids being handled now
        self._backlog: int | None = None  # the last update Telegram kept while the bot was down
        self._pending = 0  # webhook mode: updates Telegram holds, not yet answered by a webhook
        self._give_up_at = 0.0

    def expect_backlog(self, update_ids: list[int], give_up_after: float = 60.0) -> None:
        """The updates Telegram kept for the bot while it was down, as a first look at
        getUpdates found them: until each has been handled, `caught_up` is False (and the
        scheduler waits, `jobs/scheduler.py`), at most `give_up_after` seconds."""
        if update_ids:
            self._backlog = max(update_ids)
            self._give_up_at = time.monotonic() + give_up_after
            log.info(
                "%d updates waited at Telegram: handled before the scheduler runs", len(update_ids)
            )

    def expect_pending(self, count: int, give_up_after: float = 60.0) -> None:
        """Webhook mode: Telegram holds `count` updates its posts have not delivered yet
        (getWebhookInfo, once the webhook is set), kept while the bot was down. Until it
        holds none (`pending`), `caught_up` is False, at most `give_up_after` seconds. The
        webhook answers a post only once its update is handled and committed, on whichever
        replica took it, so none pending means all of them have been."""
        if count:
            self._pending = count
            self._give_up_at = time.monotonic() + give_up_after
            log.info("%d updates waited at Telegram: handled before the scheduler runs", count)

    def pending(self, count: int) -> None:
        """What getWebhookInfo says Telegram holds now, while `caught_up` waits for it."""
        if self._pending:
            self._pending = count

    @property
    def caught_up(self) -> bool:
        """Every update that waited at Telegram when the bot started has been handled (a
        vote cast while the bot was down counts before the scheduler closes its check-in).
        Polling: they start in order, so once the last has started, none of them is still
        to come. Webhook: Telegram holds none (`expect_pending`)."""
        if self._backlog is None and not self._pending:
            return True
        if (
            self._backlog is not None
            and self._highest >= self._backlog
            and min(self._handling, default=self._backlog + 1) > self._backlog
        ):
            self._backlog = None
            return not self._pending
        if time.monotonic() >= self._give_up_at:
            still = (
                f"through {self._backlog}"
                if self._backlog is not None
                else f"{self._pending} still at Telegram"
            )
            log.warning(
                "the updates that waited at Telegram are not handled yet (%s); "
                "the scheduler runs anyway",
                still,
            )
            self._backlog, self._pending = None, 0
            return True
        return False

    @property
    def max_concurrent_updates(self) -> int:
        """How many updates are handled at once (not counting those waiting their turn)."""
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        """How many are being handled now (holding a slot)."""
        return self._active

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A slot until the update has committed (`committed()`) or ended, whichever comes
        first: once committed, its reply is on its way to Telegram and it no longer does the
        work the limit bounds (the database's), so the next update may start that work."""
        await self._slots.acquire()
        self._active += 1
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                self._active -= 1
                self._slots.release()

        signal = _committed.get()

        def on_commit() -> None:
            give_back()
            if signal is not None:
                signal()

        _committed.set(on_commit)  # this task's: its handler calls it after the commit
        try:
            yield
        finally:
            give_back()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            current_update.set(update_id)  # this task's log lines carry the id
            self._highest = max(self._highest, update_id)
            self._handling.add(update_id)
        earlier = list(self._running) if waits_for_earlier(update) else []
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        _committed.set(finish)  # this update's task: its handler says when it committed
        self._running.add(done)
        started = time.perf_counter()
        try:
            await self._in_lane(lane(update), earlier, coroutine)
        finally:
            self._running.discard(done)
            if update_id is not None:
                self._handling.discard(update_id)
            finish()
            if self.metrics is not None:
                self.metrics.handled(update, started)

    async def _in_lane(
        self, key: int | None, earlier: list[asyncio.Future[None]], coroutine: Awaitable[Any]
    ) -> None:
        if key is None:
            if earlier:
                await asyncio.wait(earlier)
            async with self._slot():
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                if earlier:  # earlier updates of this lane are done: the lock was theirs
                    await asyncio.wait(earlier)
                async with self._slot():
                    await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    @property
    def lanes(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down: the Application waits for running updates itself."""


def without_nul(value: Any) -> Any:
    """The update with every NUL character (U+0000) in its texts, names and titles made
    U+FFFD: PostgreSQL's text cannot hold a NUL, so a message with one failed wherever it
    was stored. U+FFFD is one UTF-16 code unit too, so the entities' offsets still hold."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    return value


def readable(data: JSONDict) -> JSONDict:
    """The update as it came, or only its id if python-telegram-bot cannot read it (a field
    missing or of the wrong type): then it is logged and handled as an empty update."""
    try:
        Update.de_json(dict(data), None)
    except Exception as exc:  # whatever the parser raises: the update is unreadable
        log.warning(
            "update %s could not be read (%s: %s); skipped",
            data.get("update_id"),
            type(exc).__name__,
            exc,
        )
        log.debug("the unreadable update's fields: %s", ", ".join(sorted(data)))
        return {"update_id": data["update_id"]}
    return data


class LenientUpdatesRequest(MeteredRequest):
    """The request `getUpdates` goes through, reading each update on its own (and, with
    metrics on, counting the failed requests as the bot's other requests are counted).

    python-telegram-bot parses a batch of updates in one piece: a single update it cannot
    read fails the whole batch, the updater asks again from the same offset, gets the same
    batch, and the bot handles nothing ever again (hundreds of requests a second). Here such
    an update is reduced to its id, so the batch parses and polling moves past it.

    `gate`, when given, is awaited before each request: with several replicas, only the
    leader's long polls go out (`bot.leadership.Leadership.wait_to_poll`); when it says no,
    the request is answered here with no update, and Telegram is not asked."""

    def __init__(
        self,
        metrics: Metrics | None,
        *,
        gate: Callable[[], Awaitable[bool]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(metrics, **kwargs)
        self.gate = gate

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.gate is not None and not await self.gate():
            return HTTPStatus.OK, NO_UPDATES
        code, payload = await super().do_request(*args, **kwargs)
        if code != HTTPStatus.OK:
            return code, payload
        try:
            answer = json.loads(payload)
        except ValueError:
            return code, payload  # PTB reports it as it would
        updates = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(updates, list):
            return code, payload
        if b"\\u0000" in payload:  # JSON writes a NUL so; rare enough to look only then
            updates = [without_nul(update) for update in updates]
        answer["result"] = [
            readable(update)
            for update in updates
            if isinstance(update, dict) and isinstance(update.get("update_id"), int)
        ]
        return code, json.dumps(answer).encode()
