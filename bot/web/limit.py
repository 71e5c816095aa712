"""The Mini App's per-person limit: at most WEBAPP_REQUESTS_PER_MINUTE API calls a minute from
one Telegram user, the calls beyond it refused with 429 and a Retry-After.

Alone (SQLite: one process) the calls are counted in memory (`PerPersonLimit`), exactly: at
most that many in any 60 seconds. Replicas on one PostgreSQL database behind a balancer count
in the database instead (`SharedPerPersonLimit`, `db.repositories.api_calls`), one statement
per call, so that a person's calls spread over both still meet one allowance (issue 27). That
count is a sliding minute estimated from this minute's calls and the last one's, the last
one's weighted by the share of it still inside the sliding minute, as if they had come
evenly: a burst at the end of a minute weighs less than it did, a burst at its start more.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Protocol

from db.errors import SQLAlchemyError

if TYPE_CHECKING:
    from db.engine import Database

log = logging.getLogger(__name__)
WINDOW = 60.0  # seconds: the limit is a number of calls a minute


class Limit(Protocol):
    async def check(self, user_id: int) -> float:
        """0 when this call may go ahead (and it is counted), else seconds to wait."""
        ...


class PerPersonLimit:
    """At most `per_minute` calls in any 60 seconds per Telegram user, in this process."""

    def __init__(self, per_minute: int, *, window: float = WINDOW) -> None:
        self.per_minute = per_minute
        self.window = window
        self._calls: dict[int, deque[float]] = {}

    async def check(self, user_id: int) -> float:
        return self.retry_after(user_id)

    def retry_after(self, user_id: int, now: float | None = None) -> float:
        """0 when this call may go ahead (and it is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        calls = self._calls.setdefault(user_id, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.per_minute:
            return calls[0] + self.window - now
        calls.append(now)
        if len(self._calls) > 10_000:  # forget the idle
            for key in [k for k, v in self._calls.items() if not v or v[-1] <= now - self.window]:
                del self._calls[key]
        return 0.0


class SharedPerPersonLimit:
    """At most about `per_minute` calls a minute per Telegram user, counted in the database
    that the replicas share. A call the database cannot count (it does not answer) goes
    ahead: the request itself then meets the database or not, and nobody is refused for a
    count that could not be made. That is logged once, and once more when counting resumes."""

    def __init__(self, database: Database, per_minute: int, *, window: float = WINDOW) -> None:
        self.database = database
        self.per_minute = per_minute
        self.window = window
        self._uncounted = False  # the last call could not be counted (logged once)

    async def check(self, user_id: int) -> float:
        try:
            counted = await self.database.run_single_statement(
                lambda repos: repos.api_calls.count(user_id, self.per_minute, self.window)
            )
        except (SQLAlchemyError, OSError) as exc:
            if not self._uncounted:
                log.warning(
                    "mini app calls go through uncounted, the database did not count them: %s",
                    getattr(exc, "orig", None) or exc or type(exc).__name__,
                )
            self._uncounted = True
            return 0.0
        if self._uncounted:
            log.info("mini app calls are counted again")
            self._uncounted = False
        if counted.allowed:
            return 0.0
        return sliding_wait(
            self.per_minute, self.window, counted.previous, counted.current, counted.elapsed
        )


def retry_after(wait: float) -> str:
    """The Retry-After header for a wait in seconds: whole seconds, rounded up, so a client
    that obeys it never comes back before its call is let through (and gets no second 429)."""
    return str(max(1, math.ceil(wait)))


def sliding_wait(limit: int, window: float, previous: int, current: int, elapsed: float) -> float:
    """Seconds from `elapsed` into this window until a call goes ahead, no other call coming
    meanwhile: until `current + previous * (window - t) / window <= limit - 1` at `t` into
    this window, or, this window's calls being the limit already, until they weigh that
    little in the next (`db.repositories.api_calls` decides by the same rule)."""
    room = limit - 1
    if current <= room:
        if previous == 0:
            return 0.0
        return max(0.0, window * (1 - (room - current) / previous) - elapsed)
    return window - elapsed + window * (1 - room / current)
