"""The guided conversation each person is in, set in one upsert per step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Conversation
from db.repositories.statements import DIALECT_INSERTS, dialect


def _conversation_upsert(insert: Any) -> Any:
    table = Conversation.__table__
    statement = insert(table).values(
        person_id=bindparam("person_id"),
        kind=bindparam("kind"),
        ref_id=bindparam("ref_id"),
        step=bindparam("step"),
        updated_at=bindparam("at", type_=table.c.updated_at.type),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.person_id],
        set_={
            "kind": excluded.kind,
            "ref_id": excluded.ref_id,
            "step": excluded.step,
            "updated_at": excluded.updated_at,
        },
    )


_CONVERSATION_SET = {name: _conversation_upsert(insert) for name, insert in DIALECT_INSERTS.items()}


_CONVERSATION = (
    select(Conversation)
    .where(Conversation.person_id == bindparam("person_id"))
    .execution_options(populate_existing=True)
)


class ConversationRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Conversation | None:
        return await self.session.scalar(_CONVERSATION, {"person_id": person_id})

    async def set(
        self, person_id: int, kind: str, ref_id: int, step: str, now: dt.datetime
    ) -> None:
        """Start or move on a person's conversation: one upsert, not a read and a flush
        (every step of a report draft does this). `get` reads it afresh."""
        await self.session.execute(
            _CONVERSATION_SET[dialect(self.session)],
            {"person_id": person_id, "kind": kind, "ref_id": ref_id, "step": step, "at": now},
        )

    async def clear(self, person_id: int) -> None:
        """Leave whatever conversation the person is in (/cancel, or its row is gone)."""
        await self.session.execute(delete(Conversation).where(Conversation.person_id == person_id))

    async def finish(self, person_id: int, kind: str, ref_id: int) -> None:
        """End the conversation about this row (a review, a draft, an assessment) if the
        person is still in it. A button on another row of the same kind, left on an earlier
        message, finishes that row without ending the conversation the person is in now."""
        await self.session.execute(
            delete(Conversation).where(
                Conversation.person_id == person_id,
                Conversation.kind == kind,
                Conversation.ref_id == ref_id,
            )
        )
