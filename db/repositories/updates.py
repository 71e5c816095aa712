"""Which updates have been handled, claimed in the handler's transaction; on PostgreSQL the
same statement first takes the update's lane (its chat, else its person) for the rest of the
transaction, so that replicas behind a load balancer handle one chat's updates one at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import BigInteger, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProcessedUpdate
from db.models.base import UTCDateTime
from db.repositories.statements import dialect

# The lane locks' namespace (the first key of PostgreSQL's two-key advisory locks, which
# never meet the one-key ones): "updt". The second key is the lane's hash.
LANE_LOCKS = 0x75706474


def _sqlite_claim() -> Any:
    """SQLite has one writer at a time: the transaction already holds every lane."""
    table = cast(Table, ProcessedUpdate.__table__)
    return (
        sqlite.insert(table)
        .values(update_id=bindparam("update_id"), at=bindparam("at"))
        .on_conflict_do_nothing()
        .returning(table.c.update_id)
    )


def _postgresql_claim() -> Any:
    """INSERT ... SELECT FROM (the lane's lock): one round trip. The lock is taken before the
    row is tried, and held until the transaction ends (an advisory lock of the transaction);
    a second replica handling the same chat waits for it here, then sees what it committed."""
    table = cast(Table, ProcessedUpdate.__table__)
    lane = func.pg_advisory_xact_lock(
        LANE_LOCKS, func.hashint8(bindparam("lane", type_=BigInteger))
    )
    locked = select(lane.label("locked")).subquery()
    row = select(
        bindparam("update_id", type_=BigInteger), bindparam("at", type_=UTCDateTime())
    ).select_from(locked)
    return (
        postgresql.insert(table)
        .from_select(["update_id", "at"], row)
        .on_conflict_do_nothing()
        .returning(table.c.update_id)
    )


_CLAIM = {"postgresql": _postgresql_claim(), "sqlite": _sqlite_claim()}


class UpdateRepo:
    """Which updates have been handled already."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, now: dt.datetime, lane: int | None = None) -> bool:
        """Record the update in this transaction; False if it was handled before. A second
        transaction claiming the same update waits for the first (the row's key on
        PostgreSQL, the write lock on SQLite) and, once the first has committed, gets False.
        `lane` (PostgreSQL): the chat, else the person, whose updates take turns across
        processes; None (an update of neither) takes no lane."""
        result = await self.session.execute(
            _CLAIM[dialect(self.session)],
            {"update_id": update_id, "at": now, "lane": lane if lane is not None else update_id},
        )
        return result.first() is not None

    async def forget_before(self, moment: dt.datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)
