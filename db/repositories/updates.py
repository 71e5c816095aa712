"""Which updates have been handled, claimed in the handler's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ProcessedUpdate
from db.repositories.statements import DIALECT_INSERTS, dialect


def _claim_statement(insert: Any) -> Any:
    table = ProcessedUpdate.__table__
    return (
        insert(table)
        .values(update_id=bindparam("update_id"), at=bindparam("at"))
        .on_conflict_do_nothing()
        .returning(table.c.update_id)
    )


_CLAIM = {name: _claim_statement(insert) for name, insert in DIALECT_INSERTS.items()}


class UpdateRepo:
    """Which updates have been handled already."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, now: dt.datetime) -> bool:
        """Record the update in this transaction; False if it was handled before. A second
        transaction claiming the same update waits for the first (the row's key on
        PostgreSQL, the write lock on SQLite) and, once the first has committed, gets False."""
        result = await self.session.execute(
            _CLAIM[dialect(self.session)], {"update_id": update_id, "at": now}
        )
        return result.first() is not None

    async def forget_before(self, moment: dt.datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)
