"""Delivers the outbox: every message that must arrive, in order, exactly as written.

Sent messages are marked with Telegram's message id. Transient failures (5xx, timeouts) are
retried with exponential back-off on the bot's clock, and the chat's later messages wait with
them; a 429 pauses the drain for its `retry_after` (real time) and the same message goes next;
a 403 (never pressed Start, blocked, removed from a group) is recorded: the person can no
longer be written to, a lost group is marked inactive; a 400 is recorded as refused; a group
upgraded to a supergroup moves, with what waits for it, to its new id. A delivery round never
ends half done: every lane finishes, whatever Telegram answered.

Only the replica that leads sends (`bot.leadership`): a drain on a standby returns at once,
each send is checked against the lease once the rate limiter lets it through, and whatever
Telegram answered (sent, put off, refused, blocked, the group upgraded) is recorded only under
the epoch the message was read under (`_lease_lost`, the lease row locked in the same
transaction), so an old leader's late work is never recorded over the new leader's.

The sender knows no feature. What a feature does when its messages are sent or refused (a
poll's id recorded, a liaison message remembered for replies, the liaison moving on, the
coordinators told of a lost group, a check-in following an upgraded group) it registers in
`Hooks`, by outbox purpose; `bot.app.build_sender` lists the registrations.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, ForceReply, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from bot.context import SERVICES_KEY, Services
from bot.domain.telegram_text import fit_message
from bot.telegram.ratelimit import NotAllowed, send_guard
from db.models import Chat, Outbox, OutboxState, Person
from db.repositories import Repos
from db.repositories.outbox import DueMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BATCH = 500  # messages read per round
CONCURRENCY = 8  # sends in flight at once (to different chats)
MAX_BACKOFF = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Sent:
    """A message Telegram took, as recorded."""

    outbox_id: int
    chat_id: int
    message_id: int
    request_id: int | None
    purpose: str
    poll_id: str | None  # sendPoll's poll id, for a poll


@dataclass(frozen=True)
class Refusal:
    """A message Telegram refused for good (its row, already marked failed), and why."""

    row: Outbox
    error: str
    bot: Bot  # to link to it (its username is known once the application is initialized)
    person: Person | None = None  # the recipient who cannot be written to (403)


# Each hook runs in the sender's transaction, as (services, repos, now, what happened).
SentHook = Callable[[Services, Repos, dt.datetime, list[Sent]], Awaitable[None]]
RefusedHook = Callable[[Services, Repos, dt.datetime, Refusal], Awaitable[None]]
GroupLostHook = Callable[[Services, Repos, dt.datetime, Chat], Awaitable[None]]
GroupUpgradedHook = Callable[[Services, Repos, dt.datetime, int, int], Awaitable[None]]


@dataclass
class Hooks:
    """What features do when their messages are sent or refused, registered by outbox purpose
    (one hook per purpose and event). Sent messages of the same hook come to it together,
    once per group commit; a hook that nothing concerns is not called."""

    sent: dict[str, SentHook] = field(default_factory=dict)
    blocked: dict[str, RefusedHook] = field(default_factory=dict)
    refused: dict[str, RefusedHook] = field(default_factory=dict)
    group_lost: list[GroupLostHook] = field(default_factory=list)
    group_upgraded: list[GroupUpgradedHook] = field(default_factory=list)

    def on_sent(self, purposes: Iterable[str], hook: SentHook) -> None:
        """Telegram took these messages: `hook` records what it answered."""
        _register(self.sent, purposes, hook)

    def on_blocked(self, purposes: Iterable[str], hook: RefusedHook) -> None:
        """403: the recipient of this private message cannot be written to."""
        _register(self.blocked, purposes, hook)

    def on_refused(self, purposes: Iterable[str], hook: RefusedHook) -> None:
        """400: Telegram refused this message itself."""
        _register(self.refused, purposes, hook)

    def on_group_lost(self, hook: GroupLostHook) -> None:
        """The bot was removed from an active group (403 there, or the chat is not found)."""
        self.group_lost.append(hook)

    def on_group_upgraded(self, hook: GroupUpgradedHook) -> None:
        """A group became a supergroup, (old id, new id): the chat moves with it."""
        self.group_upgraded.append(hook)


def _register(hooks: dict[str, Any], purposes: Iterable[str], hook: Any) -> None:
    for purpose in purposes:
        if purpose in hooks:
            raise ValueError(f"outbox purpose {purpose!r} already has a hook")
        hooks[purpose] = hook


class Sender:
    """One drain at a time per process; a kick during a drain makes it go round again.
    Different chats are served side by side, each chat's messages strictly in order.

    A round reads the due messages in one transaction and sends them as read; what was sent
    is recorded in group commits (`_Recorder`): every message sent while a commit is running
    is recorded by the next one, together."""

    def __init__(self, hooks: Hooks) -> None:
        self.hooks = hooks
        self._lock = asyncio.Lock()
        self._again = False
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._recorder = _Recorder()

    async def drain(self, application: Application[Any, Any, Any, Any, Any, Any]) -> int:
        if self._lock.locked():
            self._again = True
            return 0
        sent = 0
        async with self._lock:
            while True:
                self._again = False
                services: Services = application.bot_data[SERVICES_KEY]
                leadership = services.leadership
                epoch = leadership.epoch
                if epoch is None or not leadership.may_send(epoch):
                    return sent  # a standby sends nothing: the leader drains
                async with services.database.transaction() as repos:
                    rows = await repos.outbox.due(services.clock.now(), limit=BATCH)
                    lanes: dict[int, list[_Snapshot]] = {}
                    for row in rows:  # one lane per chat keeps each chat's messages in order
                        lanes.setdefault(row.chat_id, []).append(_Snapshot(row, epoch))
                # Each send, once the rate limiter lets it through, goes only while this
                # replica still leads at the epoch it read the rows under (the lanes' tasks
                # inherit the guard).
                guarded = send_guard.set(functools.partial(leadership.may_send, epoch))
                # Every lane ends before the round does (a lane never raises), so nothing
                # is still being sent when the lock is released.
                try:
                    results = await asyncio.gather(
                        *(
                            self._lane(application, services, snapshots)
                            for snapshots in lanes.values()
                        )
                    )
                finally:
                    send_guard.reset(guarded)
                sent += sum(results)
                if not rows and not self._again:
                    return sent

    async def _lane(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        snapshots: list[_Snapshot],
    ) -> int:
        """One chat's messages, in order; chats run side by side (the rate limiter paces).
        A lane never raises: a message whose sending fails in a way nobody foresaw is tried
        again later (counted, and given up after MAX_ATTEMPTS), and the lane goes on."""
        sent = 0
        for snapshot in snapshots:
            if not services.leadership.may_send(snapshot.epoch):
                break  # stopping, or no longer the leader: the rest stays due
            outcome = _AGAIN
            while outcome == _AGAIN:  # after a 429's pause the same message goes next
                async with self._slots:
                    try:
                        outcome = await self._send(application, services, snapshot)
                    except Exception as exc:
                        log.exception("outbox %s: sending failed unexpectedly", snapshot.id)
                        outcome = await self._try_later(services, snapshot, repr(exc))
            # The chat's later messages wait for the next round (or for the new leader).
            if outcome in (_MOVED, _HELD):
                break
            sent += outcome
        return sent

    async def _try_later(self, services: Services, snapshot: _Snapshot, error: str) -> int:
        try:
            return await self._later(services, snapshot, error)
        except Exception:  # the database is down too: the row stays due, the next drain tries
            log.exception("outbox %s: could not record the failure", snapshot.id)
            return _HELD

    async def _send(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        snapshot: _Snapshot,
    ) -> int:
        outbox_id = snapshot.id
        try:
            message_id = await snapshot.send(application.bot)
        except NotAllowed:  # no longer sure to lead: the row stays due for the leader
            return _HELD
        except ChatMigrated as exc:
            return await self._migrated(services, snapshot, exc.new_chat_id)
        except Forbidden as exc:  # the chat's later messages would be refused alike: next round
            await self._refused(application, services, snapshot, str(exc))
            return _HELD
        except RetryAfter as exc:
            # Flood control is about real time, and it holds for everything we send: pause
            # the whole drain for retry_after, then go on with the same message.
            retry = exc.retry_after
            wait = retry if isinstance(retry, dt.timedelta) else dt.timedelta(seconds=retry)
            log.info("Telegram asked to wait %s s (outbox %s)", wait.total_seconds(), outbox_id)
            await asyncio.sleep(wait.total_seconds())
            return _AGAIN
        except BadRequest as exc:
            if snapshot.kind == "stop_poll" and "already been closed" in str(exc).lower():
                return await self._fail(services, snapshot, str(exc), state=OutboxState.SENT)
            if snapshot.chat_id < 0 and "chat not found" in str(exc).lower():
                return await self._refused(application, services, snapshot, str(exc))  # not in it
            log.warning("outbox %s refused by Telegram: %s", outbox_id, exc)
            return await self._fail(services, snapshot, str(exc), refused=application)
        except NetworkError as exc:
            return await self._later(services, snapshot, str(exc))
        except TelegramError as exc:  # any other answer (Conflict, InvalidToken...): later
            log.warning("outbox %s: Telegram answered %s: %s", outbox_id, type(exc).__name__, exc)
            return await self._later(services, snapshot, str(exc))
        await self._recorder.record(services, snapshot, message_id)
        return 1

    async def _migrated(self, services: Services, snapshot: _Snapshot, new_id: int) -> int:
        """The group was upgraded to a supergroup: the chat and everything waiting for it
        move to the new id, and this lane stops so the next round sends them there in
        order. A poll to stop stays in the old group, where it can no longer be stopped
        (recorded done in the same transaction, so the move happens once)."""
        async with services.database.transaction() as repos:
            if await _lease_lost(services, repos, snapshot, "the group's upgrade"):
                return _HELD
            now = services.clock.now()
            for hook in self.hooks.group_upgraded:
                await hook(services, repos, now, snapshot.chat_id, new_id)
            if snapshot.kind == "stop_poll":
                error = f"the group was upgraded to {new_id}"
                await _give_up(repos, snapshot.id, error, OutboxState.SENT)
        log.info("chat %s was upgraded to %s; its messages follow it", snapshot.chat_id, new_id)
        return _MOVED

    async def _later(self, services: Services, snapshot: _Snapshot, error: str) -> int:
        """A transient failure: try again after an exponential back-off on the bot's clock.
        The chat's later messages wait as long (`_HELD`), so they still arrive after it."""
        outbox_id = snapshot.id
        async with services.database.transaction() as repos:
            if await _lease_lost(services, repos, snapshot, "a failure to send"):
                return _HELD
            row = await repos.outbox.get(outbox_id)
            assert row is not None
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                row.state, row.error = OutboxState.FAILED, error[:300]
                log.error("outbox %s gave up after %s attempts: %s", outbox_id, row.attempts, error)
                return 0
            backoff = min(MAX_BACKOFF, dt.timedelta(seconds=2**row.attempts))
            row.not_before = services.clock.now() + backoff
            row.error = error[:300]
            await repos.outbox.hold_after(row.chat_id, row.id, row.not_before)
        return _HELD

    async def _fail(
        self,
        services: Services,
        snapshot: _Snapshot,
        error: str,
        state: OutboxState = OutboxState.FAILED,
        *,
        refused: Application[Any, Any, Any, Any, Any, Any] | None = None,
    ) -> int:
        """Record a message as given up (or, for a poll already closed, as done). When
        Telegram `refused` it (400), its purpose's hook hears of it (the liaison tells the
        person whose words it carried)."""
        async with services.database.transaction() as repos:
            if await _lease_lost(services, repos, snapshot, "a refusal"):
                return _HELD
            row = await _give_up(repos, snapshot.id, error, state)
            hook = self.hooks.refused.get(row.purpose)
            if refused is not None and hook is not None:
                now = services.clock.now()
                await hook(services, repos, now, Refusal(row, error, refused.bot))
        return 0

    async def _refused(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        snapshot: _Snapshot,
        error: str,
    ) -> int:
        """403: the person cannot be written to, or the group removed the bot; the hooks
        hear of it (the liaison moves on, coordinators are told of a lost group), once for a
        message written as several rows (the others are given up with it)."""
        now = services.clock.now()
        async with services.database.transaction() as repos:
            if await _lease_lost(services, repos, snapshot, "a refusal"):
                return _HELD
            row = await repos.outbox.get(snapshot.id)
            assert row is not None
            if row.state is OutboxState.FAILED:  # given up with a piece of the same message
                return 0
            row.state, row.error, row.attempts = OutboxState.FAILED, error[:300], row.attempts + 1
            if row.request_id is not None:
                await repos.outbox.give_up_with(row, error[:300])
            if row.chat_id < 0:  # a group that removed the bot: inactive, its hooks told
                chat = await repos.chats.by_telegram_id(row.chat_id)
                if chat is not None and chat.active:
                    chat.active = False
                    for lost in self.hooks.group_lost:
                        await lost(services, repos, now, chat)
                return 0
            person = await repos.people.by_id(row.person_id) if row.person_id else None
            if person is None:
                return 0
            person.can_message, person.message_error = False, error[:200]
            hook = self.hooks.blocked.get(row.purpose)
            if hook is not None:
                await hook(services, repos, now, Refusal(row, error, application.bot, person))
        return 0


async def _lease_lost(services: Services, repos: Repos, snapshot: _Snapshot, what: str) -> bool:
    """Whether this transaction must record nothing of `what` Telegram answered to a send:
    the lease has moved on since the message was read (another replica leads at a later
    epoch, and the row is the new leader's). Called first in every transaction that records
    the outcome of one send (`_record` checks a group commit's alike): the lease row stays
    locked FOR SHARE until it commits, so no replica takes the lease in between. Alone
    (SQLite) the epoch is always 0."""
    epoch = await services.leadership.current_epoch(repos)
    if epoch == snapshot.epoch:
        return False
    log.warning(
        "outbox %s: %s not recorded: the lease was lost (read at epoch %s, now %s)",
        snapshot.id,
        what,
        snapshot.epoch,
        epoch,
    )
    return True


async def _give_up(repos: Repos, outbox_id: int, error: str, state: OutboxState) -> Outbox:
    """Mark a row given up (FAILED), or done (SENT) when there is nothing left to send."""
    row = await repos.outbox.get(outbox_id)
    assert row is not None
    row.state, row.error, row.attempts = state, error[:300], row.attempts + 1
    return row


# What a send may say besides how many it sent: the rest of the lane waits for the next
# round (the chat moved to a new id, or its message was put off), or the same message again.
_MOVED = -1
_HELD = -3
_AGAIN = -2


class _Recorder:
    """Records sent messages in group commits: a message sent while a commit is running
    waits for the next, which records every such message in one transaction. Each sender
    returns once its message is recorded, so a round ends with everything it sent marked
    and the next round's read cannot send it twice."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._waiting: list[tuple[_Snapshot, int, asyncio.Future[None]]] = []

    async def record(self, services: Services, snapshot: _Snapshot, message_id: int) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((snapshot, message_id, done))
        async with self._lock:
            if not done.done():
                batch, self._waiting = self._waiting, []
                try:
                    await self._commit(services, batch)
                finally:  # cancelled mid-commit (shutdown): nobody waits forever for it
                    for _, _, waiting in batch:
                        if not waiting.done():
                            waiting.cancel()
        await done

    async def _commit(
        self, services: Services, batch: list[tuple[_Snapshot, int, asyncio.Future[None]]]
    ) -> None:
        try:
            async with services.database.transaction() as repos:
                await _record(services, repos, [(s, m) for s, m, _ in batch])
        except Exception:  # one bad record must not leave the others unrecorded
            log.warning("recording %s sent messages together failed", len(batch), exc_info=True)
            for snapshot, message_id, done in batch:
                await _record_alone(services, snapshot, message_id)
                done.set_result(None)
            return
        for _, _, done in batch:
            done.set_result(None)


async def _record(services: Services, repos: Repos, sent: list[tuple[_Snapshot, int]]) -> None:
    """Mark the rows sent with Telegram's message ids, then tell each purpose's hook of its
    own, all at once (a poll's id goes to its check-in, a liaison message is remembered for
    its replies)."""
    now = services.clock.now()
    # Fenced: the lease row stays locked FOR SHARE until this commits, and a send made under
    # an older epoch than the lease's is not recorded over the new leader's work.
    epoch = await services.leadership.current_epoch(repos)
    late = [snapshot.id for snapshot, _ in sent if snapshot.epoch != epoch]
    if late:
        log.warning(
            "%s sent message(s) not recorded: the lease was lost (now epoch %s): outbox %s",
            len(late),
            epoch,
            late[:10],
        )
        sent = [(snapshot, m) for snapshot, m in sent if snapshot.epoch == epoch]
    # One UPDATE for all of them, without loading the rows: a message sent is one of these
    # per update of the bot's, and the unit of work cost about a millisecond more.
    marked = await repos.outbox.mark_sent(now, [(snapshot.id, m) for snapshot, m in sent])
    snapshots = {snapshot.id: (snapshot, message_id) for snapshot, message_id in sent}
    hooks = services.sender.hooks.sent
    by_hook: dict[SentHook, list[Sent]] = {}
    for outbox_id, chat_id, request_id, purpose in marked:  # those not erased meanwhile
        if purpose is None or (hook := hooks.get(purpose)) is None:
            continue
        snapshot, message_id = snapshots[outbox_id]
        found = Sent(outbox_id, chat_id, message_id, request_id, purpose, snapshot.poll_id)
        by_hook.setdefault(hook, []).append(found)
    for hook in dict.fromkeys(hooks.values()):  # in the order they were registered
        if hook in by_hook:
            await hook(services, repos, now, by_hook[hook])


async def _record_alone(services: Services, snapshot: _Snapshot, message_id: int) -> None:
    """One sent message recorded on its own; if even that fails, it is still marked sent
    (sending it again would repeat it), and the failure is logged."""
    try:
        async with services.database.transaction() as repos:
            await _record(services, repos, [(snapshot, message_id)])
        return
    except Exception:
        log.exception("recording sent outbox %s failed; marking it sent only", snapshot.id)
    try:
        async with services.database.transaction() as repos:
            if await _lease_lost(services, repos, snapshot, "a message sent"):
                return
            row = await repos.outbox.get(snapshot.id)
            if row is not None:
                row.state, row.message_id = OutboxState.SENT, message_id
                row.sent_at, row.attempts = services.clock.now(), row.attempts + 1
    except Exception:
        log.exception("outbox %s was sent but could not be marked sent", snapshot.id)


class _Snapshot:
    """The fields of an outbox row, read inside its transaction, sent outside it."""

    def __init__(self, row: Outbox | DueMessage, epoch: int = 0) -> None:
        self.id = row.id
        # The lease's epoch it was read under (`bot.leadership`; 0: a process alone).
        self.epoch = epoch
        self.chat_id = row.chat_id
        self.text = row.text or ""
        self.markup = row.reply_markup
        self.reply_to = row.reply_to_message_id
        self.thread_id: int | None = row.thread_id
        self.file_id = row.file_id
        self.file_kind = row.file_kind
        self.kind = row.kind
        self.poll = row.poll
        self.poll_id: str | None = None

    async def send(self, bot: Any) -> int:
        """Send it; a forum topic deleted since it was written sends it to General, and a
        replied-to message deleted in a topic sends it without the reply (Telegram's
        allow_sending_without_reply does not hold in topics), rather than lose it."""
        while True:
            try:
                return await self._send_once(bot)
            except BadRequest as exc:
                reason = str(exc).lower()
                if self.thread_id and "thread not found" in reason:
                    log.info("outbox %s: topic %s is gone, to General", self.id, self.thread_id)
                    self.thread_id = None
                elif self.thread_id and self.reply_to and "replied not found" in reason:
                    self.reply_to = None
                else:
                    raise

    async def _send_once(self, bot: Any) -> int:
        if self.kind == "poll":
            assert self.poll is not None
            message = await bot.send_poll(
                self.chat_id,
                str(self.poll["question"]),
                list(self.poll["options"]),
                is_anonymous=False,
                allows_multiple_answers=False,
                message_thread_id=self.thread_id,
            )
            self.poll_id = message.poll.id
            return int(message.message_id)
        if self.kind == "stop_poll":
            assert self.reply_to is not None
            await bot.stop_poll(self.chat_id, self.reply_to)
            return self.reply_to
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
        # Rows are written to fit (`add_message`); one written before that, too long for one
        # message or for its file's caption, still goes out whole, in several messages.
        file = (self.file_kind or "document", self.file_id) if self.file_id else None
        first = await send_fitted(
            bot, self.chat_id, self.text, file, markup, thread_id=self.thread_id, reply=reply
        )
        assert first is not None
        return first


async def send_fitted(
    bot: Any,
    chat_id: int,
    text: str | None,
    file: tuple[str, InputFile | str] | None = None,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
    *,
    thread_id: int | None = None,
    reply: ReplyParameters | None = None,
) -> int | None:
    """One message as Telegram takes it, the one send sequence of the bot (the outbox's rows
    and a personal answer sent privately): the file (kind "photo" or "document", an id or
    an upload) with as much of the HTML text as its caption holds, then the text (or the
    rest of it) in as many messages as it needs, the first replying to `reply`, the buttons
    under the last. The first message's id; None when there was nothing to send."""
    caption, texts = (
        fit_message(text, with_file=file is not None) if text is not None else (None, [])
    )
    first: int | None = None
    if file is not None:
        kind, content = file
        send_file = bot.send_photo if kind == "photo" else bot.send_document
        message = await send_file(
            chat_id,
            content,
            caption=caption,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_parameters=reply,
            reply_markup=None if texts else markup,
        )
        first, reply = int(message.message_id), None
    for i, piece in enumerate(texts):
        message = await bot.send_message(
            chat_id,
            piece,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_parameters=reply if i == 0 else None,
            reply_markup=markup if i == len(texts) - 1 else None,
            disable_web_page_preview=True,
        )
        first = int(message.message_id) if first is None else first
    return first


__all__ = ["Sender", "TelegramError", "send_fitted"]
