"""The liaison: requests, their events and the messages sent about them; who is on call
for a party (policies, rotations, overrides); and the chat a question was asked in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Chat,
    LiaisonMessage,
    LiaisonRequest,
    OncallOverride,
    OncallPolicy,
    Outbox,
    Party,
    RequestEvent,
    RequestState,
    RotationMember,
)
from db.repositories.statements import CHAT, core_insert, given_values


class RequestTimes(NamedTuple):
    party_id: int
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    answered_at: dt.datetime | None
    escalations: int


_REQUEST_INSERT, _REQUEST_COLUMNS = core_insert(LiaisonRequest)


_EVENT_INSERT = insert(cast(Table, RequestEvent.__table__))


_LIAISON_MESSAGE_INSERT = insert(cast(Table, LiaisonMessage.__table__))


class RequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def chat(self, telegram_id: int) -> Chat | None:
        """The chat a question is asked in (a linked group takes questions)."""
        return await self.session.scalar(CHAT, {"telegram_id": telegram_id})

    async def add(self, request: LiaisonRequest) -> LiaisonRequest:
        """Writes a new request and gives it its id. The object stays outside the session:
        a later change to it is not saved (load the request to change it)."""
        result = await self.session.execute(
            _REQUEST_INSERT, given_values(request, _REQUEST_COLUMNS)
        )
        request.id = result.scalar_one()
        return request

    async def get_for_update(self, request_id: int) -> LiaisonRequest | None:
        return await self.session.scalar(
            select(LiaisonRequest).where(LiaisonRequest.id == request_id).with_for_update()
        )

    async def due(self, now: dt.datetime, limit: int = 100) -> list[int]:
        """Ids of requests the scheduler must act on now."""
        rows = await self.session.scalars(
            select(LiaisonRequest.id)
            .where(
                LiaisonRequest.next_action_at.is_not(None),
                LiaisonRequest.next_action_at <= now,
                LiaisonRequest.state.in_([RequestState.HELD, RequestState.OPEN]),
            )
            .order_by(LiaisonRequest.next_action_at)
            .limit(limit)
        )
        return list(rows)

    async def open_requests(
        self, party_ids: Iterable[int] | None = None
    ) -> Sequence[LiaisonRequest]:
        query = select(LiaisonRequest).where(
            LiaisonRequest.state.in_(
                [RequestState.HELD, RequestState.OPEN, RequestState.ACKNOWLEDGED]
            )
        )
        if party_ids is not None:
            query = query.where(LiaisonRequest.party_id.in_(list(party_ids)))
        return (
            await self.session.scalars(query.order_by(LiaisonRequest.opened_at, LiaisonRequest.id))
        ).all()

    async def count_in(self, states: Sequence[RequestState]) -> int:
        """How many requests are in one of these states."""
        count = await self.session.scalar(
            select(func.count()).where(LiaisonRequest.state.in_(states))
        )
        return count or 0

    async def opened_between(
        self, since: dt.datetime, until: dt.datetime
    ) -> Sequence[LiaisonRequest]:
        rows = await self.session.scalars(
            select(LiaisonRequest).where(
                LiaisonRequest.opened_at >= since, LiaisonRequest.opened_at < until
            )
        )
        return rows.all()

    async def since(self, when: dt.datetime) -> Sequence[LiaisonRequest]:
        rows = await self.session.scalars(
            select(LiaisonRequest)
            .where(LiaisonRequest.opened_at >= when)
            .order_by(LiaisonRequest.id)
        )
        return rows.all()

    async def timings_since(self, when: dt.datetime) -> list[RequestTimes]:
        """The times of the requests opened since `when`, as plain rows (the figures need
        no more, and reading whole objects costs ten times as much)."""
        rows = await self.session.execute(
            select(
                LiaisonRequest.party_id,
                LiaisonRequest.opened_at,
                LiaisonRequest.acknowledged_at,
                LiaisonRequest.answered_at,
                LiaisonRequest.escalations,
            ).where(LiaisonRequest.opened_at >= when)
        )
        return [RequestTimes(*row) for row in rows]

    async def get(self, request_id: int) -> LiaisonRequest | None:
        return await self.session.get(LiaisonRequest, request_id)

    async def log(
        self,
        request_id: int,
        kind: str,
        at: dt.datetime,
        person_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        await self.log_all(request_id, at, [(kind, person_id, detail)])

    async def log_all(
        self,
        request_id: int,
        at: dt.datetime,
        events: Sequence[tuple[str, int | None, str | None]],
    ) -> None:
        """Events of one moment, in order: (kind, person id, detail) each, in one INSERT."""
        await self.session.execute(
            _EVENT_INSERT,
            [
                {
                    "request_id": request_id,
                    "at": at,
                    "kind": kind,
                    "person_id": person_id,
                    "detail": detail[:300] if detail else None,
                }
                for kind, person_id, detail in events
            ],
        )

    async def events(self, request_id: int) -> Sequence[RequestEvent]:
        rows = await self.session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request_id)
            .order_by(RequestEvent.at, RequestEvent.id)
        )
        return rows.all()

    async def by_message(self, chat_id: int, message_id: int) -> LiaisonMessage | None:
        return await self.session.get(LiaisonMessage, (chat_id, message_id))

    async def remember_messages(self, messages: Sequence[tuple[int, int, int, str]]) -> None:
        """Messages just sent, as (chat id, message id, request id, role), in one INSERT
        (Telegram never gives one chat the same message id twice)."""
        if messages:
            await self.session.execute(
                _LIAISON_MESSAGE_INSERT,
                [
                    {"chat_id": chat, "message_id": message, "request_id": request, "role": role}
                    for chat, message, request, role in messages
                ],
            )

    async def recipients(self, request_id: int) -> set[int]:
        """Person ids the request was delivered to (or is waiting to be delivered to)."""
        rows = await self.session.scalars(
            select(Outbox.person_id).where(
                Outbox.request_id == request_id, Outbox.person_id.is_not(None)
            )
        )
        return {pid for pid in rows if pid is not None}


_POLICY = select(OncallPolicy).where(OncallPolicy.party_id == bindparam("party_id"))


_ROTATION = (
    select(RotationMember.person_id)
    .where(RotationMember.party_id == bindparam("party_id"))
    .order_by(RotationMember.position)
)


# The party's policy (None if it has none) beside each member of its rotation in order (one
# row with no member if it has none), in one query.
_POLICY_AND_ROTATION = (
    select(OncallPolicy, RotationMember.person_id)
    .select_from(Party)
    .outerjoin(OncallPolicy, OncallPolicy.party_id == Party.id)
    .outerjoin(RotationMember, RotationMember.party_id == Party.id)
    .where(Party.id == bindparam("party_id"))
    .order_by(RotationMember.position)
)


_OVERRIDES = (
    select(OncallOverride)
    .where(
        OncallOverride.party_id == bindparam("party_id"),
        OncallOverride.ends_at > bindparam("after"),
    )
    .order_by(OncallOverride.starts_at)
)


class OncallRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self, party_id: int) -> OncallPolicy | None:
        return await self.session.scalar(_POLICY, {"party_id": party_id})

    async def policies(self) -> Sequence[OncallPolicy]:
        return (await self.session.scalars(select(OncallPolicy))).all()

    async def add_policy(self, policy: OncallPolicy) -> OncallPolicy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def policy_and_rotation(self, party_id: int) -> tuple[OncallPolicy | None, list[int]]:
        """`policy` and `rotation` in one query."""
        rows = (await self.session.execute(_POLICY_AND_ROTATION, {"party_id": party_id})).all()
        policy = rows[0][0] if rows else None
        return policy, [person_id for _, person_id in rows if person_id is not None]

    async def rotation(self, party_id: int) -> list[int]:
        """Person ids in rotation order."""
        return list(await self.session.scalars(_ROTATION, {"party_id": party_id}))

    async def set_rotation(self, party_id: int, person_ids: list[int]) -> bool:
        if await self.rotation(party_id) == person_ids:
            return False
        await self.session.execute(
            delete(RotationMember).where(RotationMember.party_id == party_id)
        )
        self.session.add_all(
            RotationMember(party_id=party_id, position=i, person_id=pid)
            for i, pid in enumerate(person_ids)
        )
        await self.session.flush()
        return True

    async def overrides(self, party_id: int, after: dt.datetime) -> Sequence[OncallOverride]:
        """Overrides of a party that have not ended by `after`."""
        rows = await self.session.scalars(_OVERRIDES, {"party_id": party_id, "after": after})
        return rows.all()

    async def find_override(
        self, party_id: int, person_id: int, starts_at: dt.datetime
    ) -> OncallOverride | None:
        return await self.session.scalar(
            select(OncallOverride).where(
                OncallOverride.party_id == party_id,
                OncallOverride.person_id == person_id,
                OncallOverride.starts_at == starts_at,
            )
        )

    async def add_override(self, override: OncallOverride) -> OncallOverride:
        self.session.add(override)
        await self.session.flush()
        return override
