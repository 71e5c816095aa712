"""A rate limiter that keeps the bot at Telegram's ceiling without crossing it.

PTB's `AIORateLimiter` lets a burst of 30 through at start (its leaky bucket starts full), has
no per-chat limit, and its pause after a 429 ends early when another request finishes. This
one keeps sliding windows, measured when each request is let through:

- at most `overall` sends in any `window` seconds (Telegram: about 30 per second),
- at most `group` sends to one group in any `group_window` seconds (20 per minute),
- at most one send to one chat per `chat_gap` seconds (about 1 per second),
- at most `burst` sends in any `burst / overall` of a window: a full queue goes out a few at
  a time, evenly over the second, not 30 at once. Thirty requests let go together reach
  Telegram over tens of milliseconds (each is encoded and written in turn, on a busy machine
  slowly), so the last of one second's thirty could arrive after the first of the next
  second's: paced, each arrives about when it was let through, and the margin holds. The
  pacing is not Telegram's limit: it counts each send at the time it was due, so that a
  late wake-up does not hold back every send after it,

Sends that may go take their turns in the order they came: a send is never let through while
one that has waited longer may go too. A wake-up comes a little late (on a busy event loop,
after the answers that arrived meanwhile have been handled), and without the order a fan-out's
next sends, arriving the moment a place frees, took it every time from the person's reply that
had been waiting for it: in one CI run a reply to /checkin waited behind a fan-out to 200
groups for over 10 s. Now it waits for the sends that came before it, about 8 (the sender's
concurrency).

After a 429 nothing at all is sent for the whole `retry_after`; then the request is tried
again (up to `max_retries` times). Telegram counts a request when it arrives, a little after
it was let through here, and that jitter must not let a 31st message into a window. A request
held up on the way (the machine paused this process, the connection was slow) shows it in its
answer: its round trip exceeds the fastest of the recent ones. It may have reached Telegram
that much later, so its place in the overall window moves that much later too, before the
request 30 sends on is let through (a second later), and the two cannot land within one
second of each other. Each window is lengthened by `margin` (10 ms) besides. Without the
moves, a margin of 30 ms still met a few 429s in one benchmark run of five (a busy
two-core machine, 1,000 groups), and cost 3% of the throughput.

The per-chat gap keeps its own `chat_margin` (20 ms): Telegram lets short bursts into one
chat through, so that limit forgives jitter, and a margin widened for the hard windows need
not slow every conversation. Only methods that post messages are limited; the rest
(getUpdates, answerCallbackQuery, ...) wait only for a 429 pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

LIMITED = frozenset(
    {
        "sendMessage",
        "sendPoll",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "copyMessage",
        "forwardMessage",
        "copyMessages",
        "forwardMessages",
    }
)
JSONDict = dict[str, Any]
# Set by the outbox's sender around its sends: asked once a send is let through, just before
# it goes; False (this replica is no longer sure it leads) and the send is dropped with
# `NotAllowed`. Checked here, not before the call, since a send may wait its turn for long.
send_guard: ContextVar[Callable[[], bool] | None] = ContextVar("send_guard", default=None)
ROUND_TRIPS = 64  # the recent answers whose fastest round trip counts as not held up


class NotAllowed(Exception):
    """A send let through by the limits, then held back by its `send_guard`: not sent."""


class TelegramRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        overall: int = 30,
        window: float = 1.0,
        group: int = 20,
        group_window: float = 60.0,
        chat_gap: float = 1.0,
        max_retries: int = 5,
        margin: float = 0.01,
        chat_margin: float = 0.02,
        burst: int = 5,
        forget_every: int = 4096,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep  # a test's own, to time wake-ups exactly
        self.overall, self.window = overall, window + margin
        self.burst = min(burst, overall)
        self.burst_window = self.window * self.burst / overall
        self.group, self.group_window = group, group_window + margin
        self.chat_gap = chat_gap + chat_margin
        self.max_retries = max_retries
        # One [time] per send: when it was let through, moved later if its answer shows it
        # was held up on the way (see `_answered`).
        self._sent: list[list[float]] = []
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS)
        # The pacing's last `burst` sends, each at the time it was due (see `_admit`).
        self._paced: deque[float] = deque(maxlen=self.burst)
        self._groups: dict[int, deque[float]] = {}
        self._last: dict[int, float] = {}
        self._queues: dict[int, tuple[asyncio.Lock, int]] = {}  # the lock, its holders
        # The limited sends waiting to be let through, in the order they came: ticket, chat.
        self._waiting: dict[int, int | None] = {}
        self._tickets = itertools.count()
        self._turned = asyncio.Event()  # set (and replaced) whenever a waiting send leaves
        self._recorded, self.forget_every = 0, forget_every
        self._paused_until = 0.0
        self.retries = 0  # 429s met (for benchmarks and logs)

    @contextlib.asynccontextmanager
    async def _turn(self, chat_id: int) -> AsyncIterator[None]:
        """This chat's turn: first come, first served (asyncio's locks are fair). The lock
        is dropped once nobody holds or waits for it, so memory does not grow with the
        number of chats ever sent to."""
        lock, users = self._queues.get(chat_id) or (asyncio.Lock(), 0)
        self._queues[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._queues[chat_id]
            if users > 1:
                self._queues[chat_id] = (lock, users - 1)
            else:
                del self._queues[chat_id]

    def _forget(self, now: float) -> None:
        """Drop the chats whose last send no longer limits anything."""
        self._last = {c: t for c, t in self._last.items() if now - t < self.chat_gap}
        self._groups = {
            c: sent
            for c, sent in self._groups.items()
            if sent and now - sent[-1] < self.group_window
        }

    @property
    def chats(self) -> int:
        """How many chats this limiter holds anything for (queued sends, recent sends)."""
        return len(self._queues.keys() | self._last.keys() | self._groups.keys())

    def seed(self, sends: Iterable[tuple[int | None, float]]) -> int:
        """Count sends made elsewhere (by the replica that led before this one), as (chat
        id, seconds ago): they take their places in every window as if sent from here.
        Returns how many still count (those within the longest window)."""
        now, counted = self._clock(), 0
        groups: dict[int, list[float]] = {}
        for chat_id, ago in sends:
            if not 0 <= ago < self.group_window:
                continue
            at, counted = now - ago, counted + 1
            if ago < self.window:
                self._sent.append([at])
            if chat_id is not None:
                self._last[chat_id] = max(self._last.get(chat_id, at), at)
                if chat_id < 0:
                    groups.setdefault(chat_id, []).append(at)
        for chat_id, times in groups.items():
            self._groups[chat_id] = deque(sorted([*self._groups.get(chat_id, ()), *times]))
        return counted

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _wait(self, chat_id: int | None, now: float) -> float:
        """How long this send must wait now (0: it may go)."""
        waits = [self._paused_until - now]
        # A few dozen sends at most: kept in order of their (possibly moved) times.
        self._sent = [sent for sent in self._sent if now - sent[0] < self.window]
        self._sent.sort()
        if len(self._sent) >= self.overall:
            waits.append(self._sent[-self.overall][0] + self.window - now)
        if len(self._paced) >= self.burst:
            waits.append(self._paced[0] + self.burst_window - now)
        waits.append(self._chat_wait(chat_id, now))
        return max(waits)

    def _chat_wait(self, chat_id: int | None, now: float) -> float:
        """How long this chat's own limits hold its next send back now."""
        if chat_id is None:
            return 0.0
        wait = self._last.get(chat_id, -1e9) + self.chat_gap - now
        if chat_id < 0:
            sent = self._groups.setdefault(chat_id, deque())
            while sent and now - sent[0] >= self.group_window:
                sent.popleft()
            if len(sent) >= self.group:
                wait = max(wait, sent[0] + self.group_window - now)
        return wait

    def _first_to_go(self, now: float) -> int:
        """The ticket of the send that has waited longest among those that may go now (the
        limits every send shares allow one, so only each chat's own can hold one back)."""
        for ticket, chat_id in self._waiting.items():
            if self._chat_wait(chat_id, now) <= 0:
                return ticket
        raise AssertionError("the send asking may go")  # pragma: no cover

    def _record(self, chat_id: int | None, now: float, due: float) -> list[float]:
        sent = [now]
        self._sent.append(sent)
        self._paced.append(due)
        self._recorded += 1
        if self._recorded % self.forget_every == 0:
            self._forget(now)
        if chat_id is not None:
            self._last[chat_id] = now
            if chat_id < 0:
                self._groups.setdefault(chat_id, deque()).append(now)
        return sent

    def _answered(self, sent: list[float], now: float) -> None:
        """A send's answer came: if its round trip took longer than the fastest recent one,
        it may have reached Telegram that much later than it was let through. Its place in
        the overall window moves by that much."""
        round_trip = now - sent[0]
        self._round_trips.append(round_trip)
        sent[0] += round_trip - min(self._round_trips)
        if now - sent[0] < self.window and not any(s is sent for s in self._sent):
            self._sent.append(sent)  # a round trip longer than the window: it counts again

    async def _admit(self, endpoint: str, chat_id: int | None) -> list[float] | None:
        """Wait for this request's turn; the send's record for a limited method."""
        if endpoint not in LIMITED:
            while (wait := self._paused_until - self._clock()) > 0:
                await self._sleep(wait)
            return None
        ticket = next(self._tickets)
        self._waiting[ticket] = chat_id
        try:
            return await self._admit_limited(ticket, chat_id)
        finally:
            del self._waiting[ticket]
            self._turned.set()  # the sends that let this one go first look again
            self._turned = asyncio.Event()

    async def _admit_limited(self, ticket: int, chat_id: int | None) -> list[float]:
        due = None  # when the last wait was to end
        while True:
            now = self._clock()
            wait = self._wait(chat_id, now)
            if wait <= 0 and self._first_to_go(now) != ticket:
                # One that came earlier may go too: its wake-up is due (what holds a send
                # back only ever grows, so it slept no longer than this), it goes first.
                await self._turned.wait()
                continue
            if wait <= 0:
                # no await between check and record. The pacing counts the send when it was
                # due, not when this task woke up to find it so: each wake-up comes a little
                # late, and the pacing's sends `burst` apart would carry every lateness on to
                # all the sends after them (2,000 sends, 400 steps of a few ms: 1 to 3 points
                # of the fan-out's time). Telegram's own limits keep the time it really went.
                due = now if due is None else min(due, now)
                if len(self._paced) >= self.burst:
                    due = max(due, self._paced[0] + self.burst_window)
                return self._record(chat_id, now, due)
            due = now + wait
            await self._sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = _chat_id(data.get("chat_id"))
        guard = send_guard.get()
        for attempt in range(self.max_retries + 1):
            if guard is not None and not guard():  # before it waits its turn, and after
                raise NotAllowed(endpoint)
            if chat_id is None:
                sent = await self._admit(endpoint, chat_id)
            else:
                async with self._turn(chat_id):
                    sent = await self._admit(endpoint, chat_id)
            if guard is not None and not guard():
                raise NotAllowed(endpoint)
            try:
                answer = await callback(*args, **kwargs)
                if sent is not None:
                    self._answered(sent, self._clock())
                return answer
            except RetryAfter as exc:
                if attempt >= self.max_retries:
                    raise
                retry = exc.retry_after
                seconds = retry.total_seconds() if isinstance(retry, dt.timedelta) else retry
                self.retries += 1
                self._paused_until = max(self._paused_until, self._clock() + seconds + 0.1)
                log.info("Telegram asked to pause %s s (%s); everything waits", seconds, endpoint)
        raise AssertionError("unreachable")  # pragma: no cover


def _chat_id(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None  # a @channelusername or no chat at all
