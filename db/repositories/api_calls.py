"""The Mini App's per-person limit counted in the database (PostgreSQL), so that replicas
behind one balancer share each person's allowance (`bot.web.limit.SharedPerPersonLimit`).

A row counts one person's calls let through in one window (a minute) that starts on the
database's clock, so replicas whose clocks disagree share the windows. A call goes ahead
when this window's calls plus the last window's, weighted by the share of the last window
still inside the sliding minute, leave room for it: `current + previous * (window -
elapsed) / window <= limit - 1`. One statement decides and counts (an upsert whose update
holds the row's lock, so two replicas counting the same person at once take turns); a
refused call is not counted, as in the in-memory limit. It runs as a transaction of its own
(`Database.run_single_statement`), never inside a request's."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.statements import dialect

# `given`: the parameters, typed once, and the time (`at`, seconds since the epoch, stands
# for the database's clock in the tests only); `clock`: this window's start, the last one's
# and the seconds elapsed in this one; `known`: the two windows' counts as they were when
# the statement began, and the last one's weight; `counted`: the upsert, which returns a
# row only when the call was let through (the update's condition is checked again on the
# row as it is once locked, so a replica counting the same person meanwhile is seen).
_COUNT = text(
    """
    WITH given AS (
        SELECT CAST(:person AS bigint) AS person, CAST(:limit AS integer) AS room,
               CAST(:window AS double precision) AS w,
               COALESCE(CAST(:at AS double precision),
                        CAST(EXTRACT(EPOCH FROM now()) AS double precision)) AS x
    ), clock AS (
        SELECT person, room, w, to_timestamp(floor(x / w) * w) AS start,
               to_timestamp((floor(x / w) - 1) * w) AS previous_start,
               x - floor(x / w) * w AS elapsed
        FROM given
    ), known AS (
        SELECT clock.*,
               COALESCE((SELECT c.calls FROM api_call_count c WHERE c.telegram_id = person
                         AND c.window_start = previous_start), 0) AS previous,
               COALESCE((SELECT c.calls FROM api_call_count c WHERE c.telegram_id = person
                         AND c.window_start = start), 0) AS current
        FROM clock
    ), weighed AS (
        SELECT known.*, previous * (w - elapsed) / w AS weight FROM known
    ), counted AS (
        INSERT INTO api_call_count (window_start, telegram_id, calls)
        SELECT start, person, 1 FROM weighed WHERE weight <= room - 1
        ON CONFLICT (window_start, telegram_id) DO UPDATE SET calls = api_call_count.calls + 1
        WHERE api_call_count.calls + (SELECT weight FROM weighed)
              <= (SELECT room FROM weighed) - 1
        RETURNING calls
    )
    SELECT (SELECT calls FROM counted), previous, current, elapsed FROM weighed
    """
)
_PRUNE = text(
    """
    DELETE FROM api_call_count
    WHERE window_start < to_timestamp(
        COALESCE(CAST(:at AS double precision), CAST(EXTRACT(EPOCH FROM now()) AS double precision))
        - CAST(:keep AS double precision))
    """
)


@dataclass(frozen=True)
class Counted:
    """What the database said of one call: `allowed` (then counted), the calls of the last
    window and of this one (this one's before this call when refused), and the seconds
    elapsed in this window."""

    allowed: bool
    previous: int
    current: int
    elapsed: float


class ApiCallRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(
        self, telegram_id: int, limit: int, window: float, at: float | None = None
    ) -> Counted:
        """Count this call of `telegram_id`'s if the limit lets it through (one statement)."""
        row = (
            await self.session.execute(
                _COUNT,
                {"person": telegram_id, "limit": limit, "window": window, "at": at},
            )
        ).one()
        allowed = row[0] is not None
        return Counted(allowed, int(row[1]), int(row[0] if allowed else row[2]), float(row[3]))

    async def prune(self, keep: float, at: float | None = None) -> int:
        """Forget the windows that started more than `keep` seconds ago (by the database's
        clock); nothing to do on SQLite, where the limit is counted in memory."""
        if dialect(self.session) != "postgresql":
            return 0
        result = await self.session.execute(_PRUNE, {"keep": keep, "at": at})
        return int(getattr(result, "rowcount", 0) or 0)
