"""Which replica leads: only the leader runs the scheduler tick, drains the outbox and (in
polling mode) polls Telegram, so two replicas on one database never send a message twice or
spend the bot token's budget twice.

On PostgreSQL the leader holds a lease, a row of `leader_lease` (`db.repositories.leadership`)
with an epoch, the fencing token. Every `LEASE_RENEW_SECONDS` the leader renews the lease for
`LEASE_SECONDS` from the database's clock, and a standby tries to take it; a standby takes it
only once it is released or has run out, and taking it raises the epoch. The rules:

- **Stop before the lease runs out.** The leader keeps its own deadline on its monotonic
  clock: the time it *asked* for the renewal plus `LEASE_SECONDS`, less one renewal interval
  of margin. The database set the expiry from a later moment, so the deadline always comes
  first, whatever the wall clocks say. Every send is checked against it at the last moment,
  once the rate limiter lets it through (`bot.telegram.ratelimit.send_guard`): a replica
  that cannot renew (database gone, process stopped with SIGSTOP, a long pause) sends nothing
  after its deadline, and a standby takes over only after the database's expiry.
- **Fencing.** What Telegram answered to a send (sent, put off, refused, blocked, the group
  upgraded) is recorded in a transaction that first locks the lease row FOR SHARE and reads
  the epoch (`current_epoch`): an answer to a send made under an older epoch is not recorded
  (the new leader sends that message; it counts as an at-least-once duplicate), and no
  replica can take the lease until the recording transaction has committed.
- **Polling.** A `getUpdates` long poll is let out only when it ends before the deadline
  (`wait_to_poll`); its timeout is short enough for that (`poll_timeout`). A standby's
  updater waits there, and starts polling the moment it leads: never two polls at once,
  never a 409 Conflict.
- **Elected.** Before the new leader sends, its rate limiter counts the messages recorded
  sent in the last minute (the old leader's, `TelegramRateLimiter.seed`): one budget per
  token. Then the outbox is drained at once, not at the next tick.
- **A clean stop** (SIGTERM) resigns first (no new send), lets what is in flight finish and
  be recorded, then releases the lease: a standby takes it on its next try.

With SQLite there is one process (`SingleProcessLock` refuses a second one): it always leads,
at epoch 0, and nothing is fenced.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import logging
import math
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.errors import SQLAlchemyError
from db.sqlite import database_file

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics
    from bot.telegram.ratelimit import TelegramRateLimiter
    from db.engine import Database
    from db.repositories import Repos

log = logging.getLogger(__name__)
SINGLE_EPOCH = 0  # the epoch of a process that leads alone (SQLite)
ElectedHook = Callable[[int], Awaitable[None]]


class Leadership:
    """This replica's role. Without a database to share (`database=None`) it always leads."""

    def __init__(
        self,
        database: Database | None = None,
        *,
        lease_seconds: float = 10.0,
        renew_seconds: float = 2.0,
        metrics: Metrics | None = None,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self.shared = database is not None
        self.lease_seconds, self.renew_seconds = lease_seconds, renew_seconds
        self.metrics = metrics
        self._wall_clock, self._monotonic = wall_clock, monotonic
        self.holder = f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.epoch: int | None = None if self.shared else SINGLE_EPOCH
        self._deadline = 0.0 if self.shared else math.inf
        self._resigned = False
        self._led_until_resigned = False
        self._changed = asyncio.Event()
        self._elected: list[ElectedHook] = []
        self._limiter: TelegramRateLimiter | None = None
        self._unreachable = False  # the database did not answer the last round (logged once)
        self.failovers = 0  # leases this replica took from a holder that let them run out

    # -- what the rest of the bot asks --------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self.epoch is not None and not self._resigned and self._monotonic() < self._deadline

    @property
    def role(self) -> str:
        return "leader" if self.is_leader else "standby"

    def may_send(self, epoch: int | None = None) -> bool:
        """Whether a send may go now: this replica leads (before its own deadline), at
        `epoch` if given (the epoch the send was read under)."""
        return self.is_leader and (epoch is None or epoch == self.epoch)

    @property
    def poll_timeout(self) -> int:
        """A long poll's timeout (s) that ends well before the deadline: the deadline is at
        least `lease - 2 * renew` away whenever a renewal is due."""
        if not self.shared:
            return 10
        return max(1, min(10, int(self.lease_seconds - 2 * self.renew_seconds - 1)))

    async def wait_to_poll(self) -> bool:
        """Until a `getUpdates` may go: this replica leads and the long poll ends before its
        deadline (True). Once stopping (resigned), python-telegram-bot's last call (it
        confirms what was fetched) goes only from a replica that led until then, which holds
        the lease until after it; on a standby it is answered here, empty (False): sent, it
        would end the leader's long poll with a 409."""
        while self.shared and not self._resigned:
            left = self._deadline - self._monotonic()
            if self.epoch is not None and left >= self.poll_timeout + 1:
                return True
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), self.renew_seconds)
        return not self.shared or self._led_until_resigned

    async def current_epoch(self, repos: Repos) -> int | None:
        """Inside a transaction that records sends: the epoch this replica holds the lease
        at (None: it does not), the lease row locked FOR SHARE until the transaction ends."""
        if not self.shared:
            return SINGLE_EPOCH
        return await repos.leadership.held_epoch(self.holder)

    def on_elected(self, hook: ElectedHook) -> None:
        """`hook(epoch)` runs each time this replica becomes the leader (after the rate
        limiter has counted the old leader's sends)."""
        self._elected.append(hook)

    def count_sends_with(self, limiter: TelegramRateLimiter) -> None:
        """The rate limiter a new leader seeds with the old leader's last window."""
        self._limiter = limiter

    # -- the lease ------------------------------------------------------------------------

    async def start(self) -> None:
        """The first round: a replica starting beside none takes the lease at once."""
        if self.shared:
            await self._round()
        else:
            await self._became_leader(SINGLE_EPOCH, None)

    async def run(self, stop: asyncio.Event) -> None:
        """Renew (leader) or try to take (standby) every `renew_seconds` until `stop`."""
        while self.shared and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.renew_seconds)
            if not stop.is_set():
                await self._round()

    def resign(self) -> None:
        """Send nothing more (a clean stop): what is in flight finishes and is recorded."""
        self._led_until_resigned = self.is_leader
        self._resigned = True
        self._changed.set()
        self._publish()

    async def release(self) -> None:
        """Give the lease up so a standby takes it at once (after `resign` and once nothing
        is in flight)."""
        epoch, self.epoch = self.epoch, None
        if not self.shared or epoch is None or self._database is None:
            return
        try:
            await asyncio.wait_for(
                self._database.run_single_statement(
                    lambda repos: repos.leadership.release(self.holder, epoch)
                ),
                self.renew_seconds,
            )
            log.info("released the lease (epoch %s)", epoch)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("could not release the lease (%s); it runs out by itself", exc)

    async def _round(self) -> None:
        assert self._database is not None
        asked = self._monotonic()
        try:
            if self.epoch is not None:
                await self._renew(asked)
            else:
                await self._try_to_take(asked)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            if not self._unreachable:
                log.warning(
                    "the lease could not be %s: %s",
                    "renewed" if self.epoch is not None else "read",
                    getattr(exc, "orig", None) or exc or type(exc).__name__,
                )
            self._unreachable = True
            self._publish()
            return
        if self._unreachable:
            log.info("the database answers again")
        self._unreachable = False

    async def _renew(self, asked: float) -> None:
        assert self._database is not None and self.epoch is not None
        epoch = self.epoch
        kept = await asyncio.wait_for(
            self._database.run_single_statement(
                lambda repos: repos.leadership.renew(self.holder, epoch, self.lease_seconds)
            ),
            self.renew_seconds,
        )
        if kept and self.epoch == epoch:
            self._deadline = asked + self.lease_seconds - self.renew_seconds
            self._changed.set()
        elif not kept:
            self.epoch = None
            self._deadline = 0.0
            self._changed.set()
            self._publish()
            log.warning("lost the lease (epoch %s): another replica leads; now standby", epoch)

    async def _try_to_take(self, asked: float) -> None:
        assert self._database is not None
        lease = await asyncio.wait_for(
            self._database.run_single_statement(lambda repos: repos.leadership.current()),
            self.renew_seconds,
        )
        if lease is not None and lease.holder is not None and lease.seconds_left > 0:
            return  # another replica leads
        epoch = await asyncio.wait_for(
            self._database.run_single_statement(
                lambda repos: repos.leadership.take(self.holder, self.lease_seconds)
            ),
            self.renew_seconds,
        )
        if epoch is None:
            return  # another standby was quicker
        self._deadline = asked + self.lease_seconds - self.renew_seconds
        previous = lease.holder if lease is not None else None
        if previous is not None:
            self.failovers += 1
            if self.metrics is not None:
                self.metrics.failovers.inc()
        await self._became_leader(epoch, previous)

    async def _became_leader(self, epoch: int, previous: str | None) -> None:
        if self.shared:
            await self._count_the_old_leaders_sends()
        self.epoch = epoch
        self._changed.set()
        self._publish()
        if self.shared:
            how = f"took over from {previous}, whose lease ran out" if previous else "lease free"
            log.info("leader (epoch %s, %s): %s", epoch, self.holder, how)
        for hook in self._elected:
            await hook(epoch)

    async def _count_the_old_leaders_sends(self) -> None:
        """Seed the rate limiter with what was recorded sent in its longest window."""
        if self._limiter is None or self._database is None:
            return
        now = self._wall_clock()
        since = now - dt.timedelta(seconds=self._limiter.group_window)
        recent = await self._database.run_single_statement(
            lambda repos: repos.outbox.sent_since(since)
        )
        counted = self._limiter.seed((chat, (now - at).total_seconds()) for chat, at in recent)
        if counted:
            log.info("counted %s messages sent in the last minute before leading", counted)

    def _publish(self) -> None:
        if self.metrics is not None:
            self.metrics.leader.set(1 if self.is_leader else 0)
            self.metrics.epoch.set(self.epoch or 0)


class InUse(Exception):
    """Another bot process runs on this SQLite file."""


class SingleProcessLock:
    """An OS lock on a file beside the SQLite database (`<file>.lock`), held while the bot
    runs: a second bot on the same file would send everything twice, so it refuses to start.
    The kernel releases the lock when the process ends, however it ends (even SIGKILL), so
    no stale lock is ever left behind. A no-op for PostgreSQL and in-memory SQLite."""

    def __init__(self, database_url: str) -> None:
        name = database_file(database_url)
        self.path = Path(f"{name}.lock") if name else None
        self._file: Any = None

    def acquire(self) -> None:
        if self.path is None:
            return
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            pid = handle.read().strip()
            handle.close()
            by = f" (pid {pid})" if pid.isdigit() else ""
            raise InUse(
                f"{self.path.with_suffix('')} is in use by another bot process{by}: "
                "one bot per SQLite file (for two replicas use PostgreSQL)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None
