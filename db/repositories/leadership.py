"""The leader lease's statements (PostgreSQL): take it when free or expired, renew it,
release it, and fence a transaction on it. Every expiry is computed by the database's clock
(`now()`), so replicas whose wall clocks disagree still agree on who leads.

Each statement is one round trip; the renewal and the take run as transactions of their own
(`Database.run_single_statement`), the fence inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LEASE = "leader"

_TAKE = text(
    "INSERT INTO leader_lease (name, holder, epoch, expires_at) "
    "VALUES (:name, :holder, 1, now() + make_interval(secs => CAST(:ttl AS double precision))) "
    "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
    "epoch = leader_lease.epoch + 1, expires_at = EXCLUDED.expires_at "
    "WHERE leader_lease.holder IS NULL OR leader_lease.expires_at <= now() "
    "RETURNING epoch"
)
_RENEW = text(
    "UPDATE leader_lease "
    "SET expires_at = now() + make_interval(secs => CAST(:ttl AS double precision)) "
    "WHERE name = :name AND holder = :holder AND epoch = :epoch RETURNING epoch"
)
_RELEASE = text(
    "UPDATE leader_lease SET holder = NULL, expires_at = now() "
    "WHERE name = :name AND holder = :holder AND epoch = :epoch"
)
_FENCE = text("SELECT epoch, holder FROM leader_lease WHERE name = :name FOR SHARE")
_CURRENT = text(
    "SELECT holder, epoch, EXTRACT(EPOCH FROM expires_at - now()) "
    "FROM leader_lease WHERE name = :name"
)


@dataclass(frozen=True)
class Lease:
    """The lease as the database sees it now."""

    holder: str | None
    epoch: int
    seconds_left: float  # negative: expired


class LeadershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, holder: str, ttl: float) -> int | None:
        """Take the lease if nobody holds it or its holder let it run out: the new epoch,
        or None while another replica holds it."""
        result = await self.session.execute(_TAKE, {"name": LEASE, "holder": holder, "ttl": ttl})
        return result.scalar_one_or_none()

    async def renew(self, holder: str, epoch: int, ttl: float) -> bool:
        """Extend the lease by `ttl` from the database's now; False if it is no longer
        ours (another replica took it since: a higher epoch)."""
        result = await self.session.execute(
            _RENEW, {"name": LEASE, "holder": holder, "epoch": epoch, "ttl": ttl}
        )
        return result.scalar_one_or_none() is not None

    async def release(self, holder: str, epoch: int) -> None:
        """Give the lease up at once (a clean stop): a standby takes it on its next try."""
        await self.session.execute(_RELEASE, {"name": LEASE, "holder": holder, "epoch": epoch})

    async def held_epoch(self, holder: str) -> int | None:
        """The epoch `holder` holds the lease at (None: it does not), the lease row locked
        FOR SHARE until the caller's transaction ends: no replica can take the lease before
        what this transaction records is committed."""
        row = (await self.session.execute(_FENCE, {"name": LEASE})).one_or_none()
        return int(row[0]) if row is not None and row[1] == holder else None

    async def current(self) -> Lease | None:
        row = (await self.session.execute(_CURRENT, {"name": LEASE})).one_or_none()
        if row is None:
            return None
        left = float(row[2]) if row[2] is not None else -1.0
        return Lease(row[0], int(row[1]), left)
