"""The Mini App's per-person limit: at most WEBAPP_REQUESTS_PER_MINUTE API calls a minute from
one Telegram user, the calls beyond it refused with 429 and a Retry-After."""

from __future__ import annotations

import time
from collections import deque


class PerPersonLimit:
    """At most `per_minute` calls in any 60 seconds per Telegram user (in this process: a
    second replica counts its own, which at worst doubles the allowance)."""

    def __init__(self, per_minute: int, *, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._calls: dict[int, deque[float]] = {}

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
