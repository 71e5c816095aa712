"""The outbox: messages written in the caller's transaction, read and marked by the
sender."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Outbox, OutboxState
from db.repositories.statements import core_insert, given_values

DueMessage = Row[Any]
"""A message `OutboxRepo.due` returns: the table's columns as attributes, read-only."""

_OUTBOX_DUE = (
    select(cast(Table, Outbox.__table__))
    .where(Outbox.state == OutboxState.PENDING, Outbox.not_before <= bindparam("now"))
    .order_by(Outbox.id)
    .limit(bindparam("limit"))
)


_OUTBOX_INSERT, _OUTBOX_COLUMNS = core_insert(Outbox)


@functools.cache
def _mark_sent(count: int) -> Any:
    """The UPDATE marking `count` outbox rows sent, each with its message id, built once
    per count (a few: the sends in flight at once)."""
    table = cast(Table, Outbox.__table__)
    ids = [bindparam(f"id{i}", type_=table.c.id.type) for i in range(count)]
    message_id = case(
        *(
            (table.c.id == ids[i], bindparam(f"message{i}", type_=table.c.message_id.type))
            for i in range(count)
        )
    )
    return (
        update(table)
        .where(table.c.id.in_(ids))
        .values(
            state=OutboxState.SENT,
            message_id=message_id,
            sent_at=bindparam("now", type_=table.c.sent_at.type),
            error=None,
            attempts=table.c.attempts + 1,
        )
        .returning(table.c.id, table.c.chat_id, table.c.request_id, table.c.purpose)
    )


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def give_up_with(self, row: Outbox, error: str) -> None:
        """The other pending rows of the same chat, request and purpose (the pieces of one
        message written as several rows) are given up with this one."""
        await self.session.execute(
            update(Outbox)
            .where(
                Outbox.chat_id == row.chat_id,
                Outbox.request_id == row.request_id,
                Outbox.purpose == row.purpose,
                Outbox.state == OutboxState.PENDING,
                Outbox.id != row.id,
            )
            .values(state=OutboxState.FAILED, error=error)
        )

    async def hold_after(self, chat_id: int, outbox_id: int, until: dt.datetime) -> None:
        """A chat's message was put off until `until`: its later ones wait as long, so the
        chat still gets them in order."""
        await self.session.execute(
            update(Outbox)
            .where(
                Outbox.chat_id == chat_id,
                Outbox.state == OutboxState.PENDING,
                Outbox.id > outbox_id,
                Outbox.not_before < until,
            )
            .values(not_before=until)
        )

    async def add(self, message: Outbox) -> int:
        """Writes a new message to send and returns its id (the object itself stays outside
        the session)."""
        result = await self.session.execute(_OUTBOX_INSERT, given_values(message, _OUTBOX_COLUMNS))
        return int(result.scalar_one())

    def given(self, message: Outbox, *, without: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The columns a new message was given (the others keep their defaults), but
        `without`: to write copies of it."""
        return given_values(message, _OUTBOX_COLUMNS - without)

    async def due(self, now: dt.datetime, limit: int = 50) -> Sequence[DueMessage]:
        """The messages to send now, oldest first: rows with the table's columns as
        attributes, read-only (the dispatcher sends them outside the transaction, and no ORM
        object is built for each: a drain reads these once per liaison question)."""
        result = await self.session.execute(_OUTBOX_DUE, {"now": now, "limit": limit})
        return result.all()

    async def get(self, outbox_id: int) -> Outbox | None:
        return await self.session.get(Outbox, outbox_id)

    async def mark_sent(
        self, now: dt.datetime, sent: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int, int | None, str | None]]:
        """Mark these rows, (outbox id, Telegram's message id) each, sent in one UPDATE;
        returns the rows that were still there (not erased with their person meanwhile), as
        (outbox id, chat id, request id, purpose)."""
        if not sent:
            return []
        values: dict[str, Any] = {"now": now}
        for i, (outbox_id, message_id) in enumerate(sent):
            values[f"id{i}"], values[f"message{i}"] = outbox_id, message_id
        result = await self.session.execute(_mark_sent(len(sent)), values)
        return [(row[0], row[1], row[2], row[3]) for row in result]

    async def in_flight(self, chat_id: int) -> bool:
        """Whether a message to this chat is still waiting to be sent or recorded."""
        found = await self.session.scalar(
            select(Outbox.id)
            .where(Outbox.chat_id == chat_id, Outbox.state == OutboxState.PENDING)
            .limit(1)
        )
        return found is not None

    async def oldest_due(self, now: dt.datetime) -> dt.datetime | None:
        """When the oldest message due by `now` and not sent yet was due."""
        return await self.session.scalar(
            select(func.min(Outbox.not_before)).where(
                Outbox.state == OutboxState.PENDING, Outbox.not_before <= now
            )
        )

    async def health(self) -> tuple[int, dt.datetime | None, int]:
        """For the doctor: how many messages wait, when the oldest of them was written, and
        how many failed."""
        pending, oldest = (
            await self.session.execute(
                select(func.count(), func.min(Outbox.created_at)).where(
                    Outbox.state == OutboxState.PENDING
                )
            )
        ).one()
        failed = await self.session.scalar(
            select(func.count()).where(Outbox.state == OutboxState.FAILED)
        )
        return pending, oldest, failed or 0

    async def sent_since(self, since: dt.datetime) -> list[tuple[int, dt.datetime]]:
        """(chat id, when) of each message recorded sent since `since`: what a new leader
        counts against Telegram's limits before it sends (the old leader's last window)."""
        result = await self.session.execute(
            select(Outbox.chat_id, Outbox.sent_at).where(
                Outbox.state == OutboxState.SENT, Outbox.sent_at >= since
            )
        )
        return [(int(chat_id), at) for chat_id, at in result if at is not None]

    async def due_count(self, now: dt.datetime) -> int:
        """How many messages are due by `now` and not sent yet (the health check's)."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.state == OutboxState.PENDING, Outbox.not_before <= now)
        )
        return int(count or 0)

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.state == OutboxState.PENDING)
        )
        return int(count or 0)
