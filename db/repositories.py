"""Repositories: queries and writes per entity. They flush, and never commit."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Float,
    Row,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from db.models import (
    Achievement,
    ActionItem,
    ApplicationState,
    Assessment,
    Chat,
    Checkin,
    CheckinPolicy,
    CheckinPoll,
    CheckinState,
    CheckinVote,
    Consortium,
    ConsortiumRules,
    Conversation,
    EarlyPollAnswer,
    Invite,
    InviteRedemption,
    LiaisonMessage,
    LiaisonRequest,
    Membership,
    OncallOverride,
    OncallPolicy,
    Outbox,
    OutboxState,
    Party,
    PartyMonth,
    Person,
    Placement,
    PlacementMentor,
    ProcessedUpdate,
    ReportAttachment,
    ReportPolicy,
    ReportReminder,
    ReportStatus,
    RequestEvent,
    RequestState,
    Revenue,
    Role,
    RotationMember,
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicMentor,
    TopicNeed,
    TopicReminder,
    TopicReport,
    TopicState,
    TrainingRecord,
    WeeklyReport,
)
from db.sqlite import in_worker_thread


def _dialect(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None, "the sessions are bound to the engine"
    return bind.dialect.name


# The statements of the update path, built once with named parameters (for each dialect's
# ON CONFLICT where they need one): building a statement and its cache key on every call
# cost more than running it, `excluded` alone (a copy of the table's columns) about 0.8 ms.
def _claim_statement(insert: Any) -> Any:
    table = ProcessedUpdate.__table__
    return (
        insert(table)
        .values(update_id=bindparam("update_id"), at=bindparam("at"))
        .on_conflict_do_nothing()
        .returning(table.c.update_id)
    )


def _voter() -> Any:
    """The person with the vote's Telegram id, when the bot knows them (else NULL)."""
    return (
        select(Person.id)
        .where(Person.telegram_id == bindparam("telegram_user_id"))
        .scalar_subquery()
    )


def _changed_vote(statement: Any) -> Any:
    """A person's second answer in a poll changes the options and the time of their vote;
    its person and name stay as first written."""
    table = CheckinVote.__table__
    return statement.on_conflict_do_update(
        index_elements=[table.c.poll_id, table.c.telegram_user_id],
        set_={"option_ids": statement.excluded.option_ids, "at": statement.excluded.at},
    )


def _vote_upsert(insert: Any) -> Any:
    table = CheckinVote.__table__
    statement = insert(table).values(
        poll_id=bindparam("poll_id"),
        telegram_user_id=bindparam("telegram_user_id"),
        person_id=_voter(),
        name=bindparam("name"),
        option_ids=bindparam("option_ids", type_=table.c.option_ids.type),
        at=bindparam("at", type_=table.c.at.type),
    )
    return _changed_vote(statement)


def _open_vote_upsert(insert: Any) -> Any:
    """A vote in the poll with this Telegram id, written only while its check-in is open,
    as `_vote_upsert` writes it; its poll's id returned, no row when nothing was written."""
    table = CheckinVote.__table__
    source = (
        select(
            CheckinPoll.id,
            bindparam("telegram_user_id", type_=table.c.telegram_user_id.type),
            _voter(),
            bindparam("name", type_=table.c.name.type),
            bindparam("option_ids", type_=table.c.option_ids.type),
            bindparam("at", type_=table.c.at.type),
        )
        .join(Checkin, Checkin.id == CheckinPoll.checkin_id)
        .where(CheckinPoll.poll_id == bindparam("poll_id"), Checkin.state == CheckinState.OPEN)
    )
    columns = ["poll_id", "telegram_user_id", "person_id", "name", "option_ids", "at"]
    return _changed_vote(insert(table).from_select(columns, source)).returning(table.c.poll_id)


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


_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_CLAIM = {name: _claim_statement(insert) for name, insert in _DIALECT_INSERTS.items()}
_VOTE_UPSERT = {name: _vote_upsert(insert) for name, insert in _DIALECT_INSERTS.items()}
_OPEN_VOTE_UPSERT = {name: _open_vote_upsert(insert) for name, insert in _DIALECT_INSERTS.items()}
_CONVERSATION_SET = {
    name: _conversation_upsert(insert) for name, insert in _DIALECT_INSERTS.items()
}
_POLL_AND_STATE = (
    select(CheckinPoll, Checkin.state)
    .join(Checkin, Checkin.id == CheckinPoll.checkin_id)
    .where(CheckinPoll.poll_id == bindparam("poll_id"))
)


def _caller_joins(query: Any) -> Any:
    """Each membership of the person with its party, and the conversation they are in (one
    at most: a row per person)."""
    return (
        query.outerjoin(Membership, Membership.person_id == Person.id)
        .outerjoin(Membership.party)
        .outerjoin(Conversation, Conversation.person_id == Person.id)
        .options(contains_eager(Membership.party))
    )


# The consortium, the person with this Telegram id, their memberships and conversation; the
# person alone where there is no consortium row yet.
_CALLER = _caller_joins(
    select(Consortium, Person, Membership, Conversation)
    .select_from(Consortium)
    .outerjoin(Person, Person.telegram_id == bindparam("telegram_id"))
).order_by(Consortium.id, Membership.party_id, Membership.role)
_CALLER_ALONE = _caller_joins(
    select(Person, Membership, Conversation).where(Person.telegram_id == bindparam("telegram_id"))
).order_by(Membership.party_id, Membership.role)
_REPORT = (
    select(WeeklyReport)
    .where(WeeklyReport.id == bindparam("report_id"))
    .options(joinedload(WeeklyReport.attachments))  # with the report, one query
    .execution_options(populate_existing=True)
)
_REPORT_FOR_UPDATE = _REPORT.with_for_update(of=WeeklyReport)  # not the attachments' join
_PARTY_BY_KEY = select(Party).where(Party.key == bindparam("key"))
# By primary key, as `Session.get` does but built once: `get` builds its statement (and its
# cache key) on every call, 0.46 ms of CPU against 0.36 ms for a prebuilt one on PostgreSQL.
# Unlike `get`, they always ask the database, so only for rows an update reads once (a
# person or a party is often in the session already, and `get` then asks nothing).
_POLICY = select(OncallPolicy).where(OncallPolicy.party_id == bindparam("party_id"))
_CONVERSATION = (
    select(Conversation)
    .where(Conversation.person_id == bindparam("person_id"))
    .execution_options(populate_existing=True)
)
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
_PEOPLE_OF_PARTY = (
    select(Person)
    .join(Membership, Membership.person_id == Person.id)
    .where(Membership.party_id == bindparam("party_id"), Membership.role == bindparam("role"))
    .order_by(Membership.person_id)
)
_OUTBOX_DUE = (
    select(cast(Table, Outbox.__table__))
    .where(Outbox.state == OutboxState.PENDING, Outbox.not_before <= bindparam("now"))
    .order_by(Outbox.id)
    .limit(bindparam("limit"))
)


def _core_insert(model: Any) -> tuple[Any, frozenset[str]]:
    """An INSERT of one row of `model`'s table returning its id, and the table's columns."""
    table = model.__table__
    return insert(table).returning(table.c.id), frozenset(table.c.keys())


def _values(row: Any, columns: frozenset[str]) -> dict[str, Any]:
    """The columns an ORM object was given (the others take their defaults)."""
    return {key: value for key, value in inspect(row).dict.items() if key in columns}


# A new outbox row or request is written once with a Core INSERT, not through the unit of
# work: a flush of one new object cost about 1.2 ms more than the same INSERT.
_OUTBOX_INSERT, _OUTBOX_COLUMNS = _core_insert(Outbox)
_REQUEST_INSERT, _REQUEST_COLUMNS = _core_insert(LiaisonRequest)
_EVENT_INSERT = insert(cast(Table, RequestEvent.__table__))


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


_LIAISON_MESSAGE_INSERT = insert(cast(Table, LiaisonMessage.__table__))


def _driver_rows(connection: Connection, query: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of a query straight from the driver's cursor, skipping SQLAlchemy's result
    rows and type processing: for millions of rows (a cohort's scores) that processing costs
    more than reading them. Only for queries whose parameters need no conversion."""
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled), parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


class ConsortiumRepo:
    """The one consortium row, read once per transaction: the caller, the notices and the
    time zones of one update all ask for it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._read = False
        self._consortium: Consortium | None = None

    async def get(self) -> Consortium | None:
        if not self._read:
            self._consortium = await self.session.scalar(
                select(Consortium).order_by(Consortium.id).limit(1)
            )
            self._read = True
        return self._consortium

    def remember(self, consortium: Consortium) -> None:
        """The row, read along with something else in this transaction."""
        self._read, self._consortium = True, consortium

    async def add(self, consortium: Consortium) -> Consortium:
        self.session.add(consortium)
        await self.session.flush()
        self._read, self._consortium = False, None  # the first row may not be this one
        return consortium


class PartyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Party]:
        return (await self.session.scalars(select(Party).order_by(Party.key))).all()

    async def by_key(self, key: str) -> Party | None:
        return await self.session.scalar(_PARTY_BY_KEY, {"key": key})

    async def by_id(self, party_id: int) -> Party | None:
        return await self.session.get(Party, party_id)

    async def add(self, party: Party) -> Party:
        self.session.add(party)
        await self.session.flush()
        return party


class PersonRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

    async def by_id(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def caller(
        self, telegram_id: int
    ) -> tuple[Consortium | None, Person | None, tuple[Membership, ...], Conversation | None]:
        """The consortium, the person, their memberships (each with its party) and the
        conversation they are in, in one query; without a consortium row, the rest in a
        second."""
        parameters = {"telegram_id": telegram_id}
        rows = (await self.session.execute(_CALLER, parameters)).all()
        if rows:
            consortium: Consortium | None = rows[0][0]
            found = [tuple(row[1:]) for row in rows if row[0] is consortium]
        else:
            consortium = None
            found = [tuple(row) for row in await self.session.execute(_CALLER_ALONE, parameters)]
        person, conversation = (found[0][0], found[0][2]) if found else (None, None)
        return consortium, person, tuple(m for _, m, _ in found if m is not None), conversation

    async def by_ids(self, person_ids: Iterable[int]) -> dict[int, Person]:
        """The people with these ids, in one query per 10,000 (a cohort's students)."""
        ids = sorted(set(person_ids))
        found: dict[int, Person] = {}
        for start in range(0, len(ids), 10_000):  # under every database's parameter limit
            rows = await self.session.scalars(
                select(Person).where(Person.id.in_(ids[start : start + 10_000]))
            )
            found.update((person.id, person) for person in rows)
        return found

    async def by_telegram_ids(self, telegram_ids: Iterable[int]) -> dict[int, Person]:
        ids = list(set(telegram_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(Person).where(Person.telegram_id.in_(ids)))
        return {person.telegram_id: person for person in rows}

    async def all(self) -> Sequence[Person]:
        return (await self.session.scalars(select(Person).order_by(Person.telegram_id))).all()

    async def add(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person

    async def set_can_message(self, telegram_id: int, can: bool, error: str | None) -> None:
        await self.session.execute(
            update(Person)
            .where(Person.telegram_id == telegram_id)
            .values(can_message=can, message_error=error)
        )


class MembershipRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_person(self, person_id: int) -> Sequence[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.person_id == person_id)
            .options(joinedload(Membership.party))
            .order_by(Membership.party_id, Membership.role)
        )
        return rows.all()

    async def all(self) -> Sequence[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .options(selectinload(Membership.party), selectinload(Membership.person))
            .order_by(Membership.person_id, Membership.party_id, Membership.role)
        )
        return rows.all()

    async def people_of_party(self, party_id: int, role: Role) -> Sequence[Person]:
        """The party's people in that role (by person, as `all()` orders them)."""
        rows = await self.session.scalars(_PEOPLE_OF_PARTY, {"party_id": party_id, "role": role})
        return rows.all()

    async def exists(self, person_id: int, party_id: int, role: Role) -> bool:
        found = await self.session.scalar(
            select(Membership.id).where(
                Membership.person_id == person_id,
                Membership.party_id == party_id,
                Membership.role == role,
            )
        )
        return found is not None

    async def add(self, person_id: int, party_id: int, role: Role) -> Membership:
        membership = Membership(person_id=person_id, party_id=party_id, role=role)
        self.session.add(membership)
        await self.session.flush()
        return membership

    async def remove(self, membership: Membership) -> None:
        await self.session.delete(membership)
        await self.session.flush()

    async def people_with_role(self, role: Role) -> Sequence[Person]:
        rows = await self.session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == role)
            .distinct()
            .order_by(Person.telegram_id)
        )
        return rows.all()


class ChatRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Chat | None:
        return await self.session.scalar(select(Chat).where(Chat.telegram_id == telegram_id))

    async def all(self) -> Sequence[Chat]:
        return (await self.session.scalars(select(Chat).order_by(Chat.telegram_id))).all()

    async def linked_active(self) -> Sequence[Chat]:
        rows = await self.session.scalars(
            select(Chat).where(Chat.linked.is_(True), Chat.active.is_(True)).order_by(Chat.id)
        )
        return rows.all()

    async def add(self, chat: Chat) -> Chat:
        self.session.add(chat)
        await self.session.flush()
        return chat

    async def move(self, old_id: int, new_id: int) -> None:
        """A group upgraded to a supergroup has a new Telegram id: its record, the questions
        asked in it and the messages still to be sent there move to the new id. Messages
        already sent stay where they went; so does stopping a poll sent to the old group
        (it lives there)."""
        chat = await self.by_telegram_id(old_id)
        known = await self.by_telegram_id(new_id)
        if chat is not None and known is not None:  # both recorded: keep the group's settings
            known.linked, known.active = known.linked or chat.linked, True
            known.party_id = known.party_id or chat.party_id
            known.language = known.language or chat.language
            await self.session.delete(chat)
        elif chat is not None:
            chat.telegram_id, chat.type = new_id, "supergroup"
        # Message ids are the old group's: in the supergroup they would name other messages,
        # so what moves replies to nothing (0: the question stayed in the old group).
        await self.session.execute(
            update(LiaisonRequest)
            .where(LiaisonRequest.chat_id == old_id)
            .values(chat_id=new_id, question_message_id=0)
        )
        await self.session.execute(
            update(Outbox)
            .where(
                Outbox.chat_id == old_id,
                Outbox.state == OutboxState.PENDING,
                Outbox.kind != "stop_poll",
            )
            .values(chat_id=new_id, reply_to_message_id=None)
        )
        await self.session.execute(  # a poll not sent yet goes with its outbox row
            update(CheckinPoll)
            .where(CheckinPoll.chat_id == old_id, CheckinPoll.message_id.is_(None))
            .values(chat_id=new_id)
        )
        await self.session.flush()


class PlacementRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Placement]:
        rows = await self.session.scalars(
            select(Placement)
            .options(selectinload(Placement.mentors))
            .order_by(Placement.student_id, Placement.start_date)
        )
        return rows.all()

    async def find(self, student_id: int, site_id: int, start: dt.date) -> Placement | None:
        return await self.session.scalar(
            select(Placement)
            .where(
                Placement.student_id == student_id,
                Placement.site_id == site_id,
                Placement.start_date == start,
            )
            .options(selectinload(Placement.mentors))
        )

    async def of_student(self, student_id: int) -> Sequence[Placement]:
        rows = await self.session.scalars(
            select(Placement)
            .where(Placement.student_id == student_id)
            .options(selectinload(Placement.mentors))
            .order_by(Placement.start_date)
        )
        return rows.all()

    async def add(self, placement: Placement) -> Placement:
        self.session.add(placement)
        await self.session.flush()
        return placement

    async def set_mentors(self, placement: Placement, mentors: dict[str, int]) -> bool:
        """Make the placement's mentors exactly `mentors` (kind -> person id); True if changed."""
        current = {m.party_kind.value: m.person_id for m in placement.mentors}
        if current == mentors:
            return False
        await self.session.execute(
            delete(PlacementMentor).where(PlacementMentor.placement_id == placement.id)
        )
        self.session.add_all(
            PlacementMentor(placement_id=placement.id, party_kind=kind, person_id=person_id)
            for kind, person_id in mentors.items()
        )
        await self.session.flush()
        await self.session.refresh(placement, ["mentors"])
        return True


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def by_hash_for_update(self, token_hash: str) -> Invite | None:
        """The invite, locked against a concurrent redemption where the database can lock."""
        return await self.session.scalar(
            select(Invite)
            .where(Invite.token_hash == token_hash)
            .options(selectinload(Invite.party))
            .with_for_update()
        )

    async def redeemed_by(self, invite_id: int, person_id: int) -> bool:
        found = await self.session.scalar(
            select(func.count())
            .select_from(InviteRedemption)
            .where(InviteRedemption.invite_id == invite_id, InviteRedemption.person_id == person_id)
        )
        return bool(found)

    async def redeem(self, invite: Invite, person_id: int, now: dt.datetime) -> None:
        """Count one use; the `uses <= max_uses` constraint guards against a race."""
        await self.session.execute(
            update(Invite).where(Invite.id == invite.id).values(uses=Invite.uses + 1)
        )
        self.session.add(
            InviteRedemption(invite_id=invite.id, person_id=person_id, redeemed_at=now)
        )
        await self.session.flush()


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


class RequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request: LiaisonRequest) -> LiaisonRequest:
        """Writes a new request and gives it its id. The object stays outside the session:
        a later change to it is not saved (load the request to change it)."""
        result = await self.session.execute(_REQUEST_INSERT, _values(request, _REQUEST_COLUMNS))
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
        return (await self.session.scalars(query.order_by(LiaisonRequest.opened_at))).all()

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
        result = await self.session.execute(_OUTBOX_INSERT, _values(message, _OUTBOX_COLUMNS))
        return int(result.scalar_one())

    async def due(self, now: dt.datetime, limit: int = 50) -> Sequence[Row[Any]]:
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

    async def pending_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.state == OutboxState.PENDING)
        )
        return int(count or 0)


class CheckinRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self) -> CheckinPolicy | None:
        return await self.session.scalar(select(CheckinPolicy).order_by(CheckinPolicy.id).limit(1))

    async def add_policy(self, policy: CheckinPolicy) -> CheckinPolicy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def open_one(self, *, lock: bool = False) -> Checkin | None:
        query = select(Checkin).where(Checkin.state == CheckinState.OPEN).order_by(Checkin.id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query.limit(1))

    async def get(self, checkin_id: int, *, lock: bool = False) -> Checkin | None:
        query = select(Checkin).where(Checkin.id == checkin_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def by_date(self, day: dt.date) -> Checkin | None:
        return await self.session.scalar(select(Checkin).where(Checkin.scheduled_for == day))

    async def last(self) -> Checkin | None:
        return await self.session.scalar(select(Checkin).order_by(Checkin.id.desc()).limit(1))

    async def opened_between(self, since: dt.datetime, until: dt.datetime) -> Sequence[Checkin]:
        rows = await self.session.scalars(
            select(Checkin)
            .where(
                Checkin.state == CheckinState.CLOSED,
                Checkin.opened_at >= since,
                Checkin.opened_at < until,
            )
            .order_by(Checkin.id)
        )
        return rows.all()

    async def closed(self, limit: int = 12) -> Sequence[Checkin]:
        rows = await self.session.scalars(
            select(Checkin)
            .where(Checkin.state == CheckinState.CLOSED)
            .order_by(Checkin.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def add(self, checkin: Checkin) -> Checkin:
        self.session.add(checkin)
        await self.session.flush()
        return checkin

    async def add_poll(self, poll: CheckinPoll) -> CheckinPoll:
        self.session.add(poll)
        await self.session.flush()
        return poll

    async def polls(self, checkin_id: int) -> Sequence[CheckinPoll]:
        rows = await self.session.scalars(
            select(CheckinPoll).where(CheckinPoll.checkin_id == checkin_id).order_by(CheckinPoll.id)
        )
        return rows.all()

    async def polls_by_outbox(self, outbox_ids: Iterable[int]) -> dict[int, CheckinPoll]:
        """The check-in polls these outbox rows send, by outbox id."""
        ids = list(outbox_ids)
        if not ids:
            return {}
        rows = await self.session.scalars(select(CheckinPoll).where(CheckinPoll.outbox_id.in_(ids)))
        return {poll.outbox_id: poll for poll in rows if poll.outbox_id is not None}

    async def keep_early_answer(
        self, poll_id: str, telegram_user_id: int, name: str, option_ids: list[int], at: dt.datetime
    ) -> None:
        """Keep a vote for a poll not known yet (the latest answer of a person wins)."""
        early = await self.session.get(EarlyPollAnswer, (poll_id, telegram_user_id))
        if early is None:
            self.session.add(
                EarlyPollAnswer(
                    poll_id=poll_id,
                    telegram_user_id=telegram_user_id,
                    name=name,
                    option_ids=option_ids,
                    at=at,
                )
            )
        else:
            early.name, early.option_ids, early.at = name, option_ids, at

    async def take_early_answers(self, poll_ids: Sequence[str]) -> list[EarlyPollAnswer]:
        """The kept votes for these polls, oldest first, deleted in this transaction."""
        if not poll_ids:
            return []
        rows = list(
            await self.session.scalars(
                select(EarlyPollAnswer)
                .where(EarlyPollAnswer.poll_id.in_(poll_ids))
                .order_by(EarlyPollAnswer.at)
            )
        )
        for row in rows:
            await self.session.delete(row)
        return rows

    async def polls_with_early_answers(self) -> Sequence[CheckinPoll]:
        """Recorded polls that still have kept votes: a vote kept while its poll was being
        recorded by another transaction (on PostgreSQL neither saw the other's write)."""
        rows = await self.session.scalars(
            select(CheckinPoll).where(
                CheckinPoll.poll_id.in_(select(EarlyPollAnswer.poll_id).distinct())
            )
        )
        return rows.all()

    async def vote_at(self, poll_id: int, telegram_user_id: int) -> dt.datetime | None:
        """When this person's current vote in this poll was cast, if they have one."""
        vote = await self.session.get(CheckinVote, (poll_id, telegram_user_id))
        return vote.at if vote is not None else None

    async def forget_early_answers(self, before: dt.datetime) -> None:
        await self.session.execute(delete(EarlyPollAnswer).where(EarlyPollAnswer.at < before))

    async def poll_and_state(self, poll_id: str) -> tuple[CheckinPoll, CheckinState] | None:
        """The poll with this Telegram id and its check-in's state, in one query."""
        row = (await self.session.execute(_POLL_AND_STATE, {"poll_id": poll_id})).first()
        return None if row is None else (row[0], row[1])

    async def put_vote(
        self, poll_id: int, telegram_user_id: int, name: str, option_ids: list[int], at: dt.datetime
    ) -> None:
        """A person's answer, new or changed, in one statement: a new vote is linked to the
        person when the bot knows them; a changed one keeps its person and name."""
        await self.session.execute(
            _VOTE_UPSERT[_dialect(self.session)],
            {
                "poll_id": poll_id,
                "telegram_user_id": telegram_user_id,
                "name": name,
                "option_ids": option_ids,
                "at": at,
            },
        )

    async def put_open_vote(
        self,
        telegram_poll_id: str,
        telegram_user_id: int,
        name: str,
        option_ids: list[int],
        at: dt.datetime,
    ) -> bool:
        """As `put_vote`, for the poll with this Telegram id, in one statement that writes
        only while its check-in is open: False (nothing written) for a poll not recorded
        or a check-in not open."""
        result = await self.session.execute(
            _OPEN_VOTE_UPSERT[_dialect(self.session)],
            {
                "poll_id": telegram_poll_id,
                "telegram_user_id": telegram_user_id,
                "name": name,
                "option_ids": option_ids,
                "at": at,
            },
        )
        return result.first() is not None

    async def withdraw_vote(self, poll_id: int, telegram_user_id: int) -> None:
        await self.session.execute(
            delete(CheckinVote).where(
                CheckinVote.poll_id == poll_id, CheckinVote.telegram_user_id == telegram_user_id
            )
        )

    async def votes(self, checkin_id: int) -> Sequence[CheckinVote]:
        rows = await self.session.scalars(
            select(CheckinVote)
            .join(CheckinPoll, CheckinPoll.id == CheckinVote.poll_id)
            .where(CheckinPoll.checkin_id == checkin_id)
        )
        return rows.all()

    async def add_action(self, item: ActionItem) -> ActionItem:
        self.session.add(item)
        await self.session.flush()
        return item

    async def open_actions(self) -> Sequence[ActionItem]:
        rows = await self.session.scalars(
            select(ActionItem).where(ActionItem.done_at.is_(None)).order_by(ActionItem.id)
        )
        return rows.all()

    async def actions_of(self, checkin_id: int) -> Sequence[ActionItem]:
        rows = await self.session.scalars(
            select(ActionItem).where(ActionItem.checkin_id == checkin_id).order_by(ActionItem.id)
        )
        return rows.all()

    async def action(self, item_id: int) -> ActionItem | None:
        return await self.session.get(ActionItem, item_id)


class ReportRepo:
    """Weekly reports, their attachments and reminders, and the rules they follow."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def policy(self) -> ReportPolicy | None:
        return await self.session.scalar(select(ReportPolicy).order_by(ReportPolicy.id).limit(1))

    async def add_policy(self, policy: ReportPolicy) -> ReportPolicy:
        self.session.add(policy)
        await self.session.flush()
        return policy

    async def get(self, report_id: int, *, for_update: bool = False) -> WeeklyReport | None:
        query = _REPORT_FOR_UPDATE if for_update else _REPORT
        result = await self.session.execute(query, {"report_id": report_id})
        return result.unique().scalar_one_or_none()

    async def of_week(self, student_id: int, week: dt.date) -> WeeklyReport | None:
        return await self.session.scalar(
            select(WeeklyReport)
            .where(WeeklyReport.student_id == student_id, WeeklyReport.week == week)
            .options(selectinload(WeeklyReport.attachments))
        )

    async def of_student(self, student_id: int) -> Sequence[WeeklyReport]:
        rows = await self.session.scalars(
            select(WeeklyReport)
            .where(WeeklyReport.student_id == student_id)
            .order_by(WeeklyReport.week)
        )
        return rows.all()

    async def statuses(
        self, student_ids: Iterable[int], weeks: Iterable[dt.date]
    ) -> dict[tuple[int, dt.date], ReportStatus]:
        """Per (student, week): the report's status; a report being corrected counts as
        submitted."""
        rows = await self.session.execute(
            select(
                WeeklyReport.student_id,
                WeeklyReport.week,
                WeeklyReport.status,
                WeeklyReport.submitted_at,
            ).where(
                WeeklyReport.student_id.in_(list(student_ids)),
                WeeklyReport.week.in_(list(weeks)),
            )
        )
        return {
            (student, week): ReportStatus.SUBMITTED if submitted_at else status
            for student, week, status, submitted_at in rows.all()
        }

    async def add(self, report: WeeklyReport) -> WeeklyReport:
        self.session.add(report)
        await self.session.flush()
        await self.session.refresh(report, ["attachments"])
        return report

    async def delete(self, report: WeeklyReport) -> None:
        await self.session.delete(report)
        await self.session.flush()

    async def add_attachment(self, attachment: ReportAttachment) -> None:
        self.session.add(attachment)
        await self.session.flush()

    async def reminders(
        self, student_ids: Iterable[int], weeks: Iterable[dt.date]
    ) -> set[tuple[int, dt.date, str]]:
        rows = await self.session.execute(
            select(ReportReminder.student_id, ReportReminder.week, ReportReminder.stage).where(
                ReportReminder.student_id.in_(list(student_ids)),
                ReportReminder.week.in_(list(weeks)),
            )
        )
        return {(student, week, stage) for student, week, stage in rows.all()}

    async def add_reminder(self, reminder: ReportReminder) -> None:
        self.session.add(reminder)
        await self.session.flush()

    async def submitted_counts(self) -> dict[int, int]:
        """Per student, how many reports were submitted (late ones included)."""
        rows = await self.session.execute(
            select(WeeklyReport.student_id, func.count())
            .where(WeeklyReport.status == ReportStatus.SUBMITTED)
            .group_by(WeeklyReport.student_id)
        )
        return {student: count for student, count in rows.all()}

    async def submitted(self, student_ids: Iterable[int] | None = None) -> Sequence[WeeklyReport]:
        query = select(WeeklyReport).where(WeeklyReport.status != ReportStatus.DRAFT)
        if student_ids is not None:
            query = query.where(WeeklyReport.student_id.in_(list(student_ids)))
        rows = await self.session.scalars(
            query.order_by(WeeklyReport.student_id, WeeklyReport.week)
        )
        return rows.all()


class AssessmentRepo:
    """Scores per party and week: requested from mentors, or imported."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, assessment_id: int, *, for_update: bool = False) -> Assessment | None:
        query = (
            select(Assessment)
            .where(Assessment.id == assessment_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def reports_waiting(self, student_id: int) -> int:
        """How many of this student's submitted reports still wait for a mentor's scores."""
        count = await self.session.scalar(
            select(func.count(func.distinct(Assessment.report_id)))
            .join(WeeklyReport, WeeklyReport.id == Assessment.report_id)
            .where(
                WeeklyReport.student_id == student_id,
                WeeklyReport.status == ReportStatus.SUBMITTED,
                Assessment.completed_at.is_(None),
            )
        )
        return int(count or 0)

    async def of_report(self, report_id: int) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment)
            .where(Assessment.report_id == report_id)
            .order_by(Assessment.party_kind)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def completed_rows(
        self, student_ids: Iterable[int] | None = None
    ) -> list[tuple[Any, ...]]:
        """(student id, week, party kind, tech_rd, cross_cultural, rule_adaptation) of every
        completed assessment, or of these students', as the driver returns them: the week a
        date or its ISO text, the kind its text, a missing score None."""
        query = select(
            Assessment.student_id,
            Assessment.week,
            Assessment.party_kind,
            # As floats from the driver itself (PostgreSQL's NUMERIC would come as Decimal).
            Assessment.tech_rd.cast(Float),
            Assessment.cross_cultural.cast(Float),
            Assessment.rule_adaptation.cast(Float),
        ).where(Assessment.completed_at.is_not(None))
        if student_ids is not None:
            query = query.where(Assessment.student_id.in_(list(student_ids)))
        connection = await self.session.connection()
        with in_worker_thread():  # millions of rows: SQLite reads them off the event loop
            return await connection.run_sync(_driver_rows, query)

    async def of_week(self, student_id: int, week: dt.date) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment).where(Assessment.student_id == student_id, Assessment.week == week)
        )
        return rows.all()

    async def add(self, assessment: Assessment) -> Assessment:
        self.session.add(assessment)
        await self.session.flush()
        return assessment

    async def waiting_since(self, before: dt.datetime) -> Sequence[Assessment]:
        """Requested before `before`, not completed, not yet reminded."""
        rows = await self.session.scalars(
            select(Assessment)
            .where(
                Assessment.completed_at.is_(None),
                Assessment.reminded_at.is_(None),
                Assessment.requested_at <= before,
                Assessment.mentor_id.is_not(None),
            )
            .order_by(Assessment.id)
        )
        return rows.all()

    async def pending_count(self) -> int:
        """Scores requested from mentors and not given yet."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.completed_at.is_(None), Assessment.report_id.is_not(None))
        )
        return int(count or 0)

    async def requested_between(
        self, since: dt.datetime, until: dt.datetime
    ) -> Sequence[Assessment]:
        """Scores asked of mentors in a period (imported ones are never asked)."""
        rows = await self.session.scalars(
            select(Assessment).where(
                Assessment.requested_at >= since,
                Assessment.requested_at < until,
                Assessment.mentor_id.is_not(None),
            )
        )
        return rows.all()

    async def mentored_by(self, mentor_id: int) -> list[int]:
        """The students (person ids) a mentor scores, from placements."""
        rows = await self.session.scalars(
            select(Placement.student_id)
            .join(PlacementMentor, PlacementMentor.placement_id == Placement.id)
            .where(PlacementMentor.person_id == mentor_id)
            .distinct()
        )
        return sorted(rows.all())


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
            _CONVERSATION_SET[_dialect(self.session)],
            {"person_id": person_id, "kind": kind, "ref_id": ref_id, "step": step, "at": now},
        )

    async def clear(self, person_id: int, kind: str | None = None) -> None:
        query = delete(Conversation).where(Conversation.person_id == person_id)
        if kind is not None:
            query = query.where(Conversation.kind == kind)
        await self.session.execute(query)


class UpdateRepo:
    """Which updates have been handled already."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, now: dt.datetime) -> bool:
        """Record the update in this transaction; False if it was handled before. A second
        transaction claiming the same update waits for the first (the row's key on
        PostgreSQL, the write lock on SQLite) and, once the first has committed, gets False."""
        result = await self.session.execute(
            _CLAIM[_dialect(self.session)], {"update_id": update_id, "at": now}
        )
        return result.first() is not None

    async def forget_before(self, moment: dt.datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < moment)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class RulesRepo:
    """The consortium file's sections of rules, as imported."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, section: str) -> dict[str, Any] | None:
        row = await self.session.get(ConsortiumRules, section)
        return dict(row.values) if row else None

    async def set(self, section: str, values: dict[str, Any]) -> bool:
        """Store a section; True if it changed."""
        row = await self.session.get(ConsortiumRules, section)
        if row is None:
            self.session.add(ConsortiumRules(section=section, values=values))
        elif row.values != values:
            row.values = values
        else:
            return False
        await self.session.flush()
        return True


class TopicRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, topic: Topic) -> Topic:
        self.session.add(topic)
        await self.session.flush()
        return topic

    async def get(self, topic_id: int, *, for_update: bool = False) -> Topic | None:
        query = select(Topic).where(Topic.id == topic_id).execution_options(populate_existing=True)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def listed(self) -> Sequence[Topic]:
        """Open and running topics, the newest first."""
        rows = await self.session.scalars(
            select(Topic)
            .where(Topic.state.in_([TopicState.OPEN, TopicState.RUNNING]))
            .order_by(Topic.id.desc())
        )
        return rows.all()

    async def running(self) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.state == TopicState.RUNNING).order_by(Topic.id)
        )
        return rows.all()

    async def of_party(self, party_id: int) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.party_id == party_id).order_by(Topic.id)
        )
        return rows.all()

    async def drafts_of(self, person_id: int) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.author_id == person_id, Topic.state == TopicState.DRAFT)
        )
        return rows.all()

    async def add_need(self, need: TopicNeed) -> TopicNeed:
        self.session.add(need)
        await self.session.flush()
        return need

    async def needs(self, topic_id: int) -> Sequence[TopicNeed]:
        rows = await self.session.scalars(
            select(TopicNeed).where(TopicNeed.topic_id == topic_id).order_by(TopicNeed.id)
        )
        return rows.all()

    async def application(self, application_id: int) -> TopicApplication | None:
        return await self.session.scalar(
            select(TopicApplication)
            .where(TopicApplication.id == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def application_of(self, topic_id: int, student_id: int) -> TopicApplication | None:
        return await self.session.scalar(
            select(TopicApplication).where(
                TopicApplication.topic_id == topic_id, TopicApplication.student_id == student_id
            )
        )

    async def add_application(self, application: TopicApplication) -> TopicApplication:
        self.session.add(application)
        await self.session.flush()
        return application

    async def applications(self, topic_id: int) -> Sequence[TopicApplication]:
        rows = await self.session.scalars(
            select(TopicApplication)
            .where(TopicApplication.topic_id == topic_id)
            .order_by(TopicApplication.id)
        )
        return rows.all()

    async def applications_to_party(
        self, party_id: int, since: dt.datetime, until: dt.datetime
    ) -> Sequence[TopicApplication]:
        rows = await self.session.scalars(
            select(TopicApplication)
            .join(Topic, Topic.id == TopicApplication.topic_id)
            .where(
                Topic.party_id == party_id,
                TopicApplication.applied_at >= since,
                TopicApplication.applied_at < until,
            )
        )
        return rows.all()

    async def team(self, topic_id: int) -> list[int]:
        """Person ids of the accepted students."""
        rows = await self.session.scalars(
            select(TopicApplication.student_id)
            .where(
                TopicApplication.topic_id == topic_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(TopicApplication.id)
        )
        return list(rows.all())

    async def member_ids(self) -> set[int]:
        """Every student in the team of some topic."""
        rows = await self.session.scalars(
            select(TopicApplication.student_id)
            .where(TopicApplication.state == ApplicationState.ACCEPTED)
            .distinct()
        )
        return set(rows.all())

    async def team_people(self, topic_id: int) -> Sequence[Person]:
        """The accepted students, in the order they applied."""
        rows = await self.session.scalars(
            select(Person)
            .join(TopicApplication, TopicApplication.student_id == Person.id)
            .where(
                TopicApplication.topic_id == topic_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(TopicApplication.id)
        )
        return rows.all()

    async def topics_of_student(self, student_id: int) -> Sequence[Topic]:
        """Topics whose team the student is in."""
        rows = await self.session.scalars(
            select(Topic)
            .join(TopicApplication, TopicApplication.topic_id == Topic.id)
            .where(
                TopicApplication.student_id == student_id,
                TopicApplication.state == ApplicationState.ACCEPTED,
            )
            .order_by(Topic.id)
        )
        return rows.all()

    async def mentors(self, topic_id: int) -> Sequence[TopicMentor]:
        rows = await self.session.scalars(
            select(TopicMentor)
            .where(TopicMentor.topic_id == topic_id)
            .order_by(TopicMentor.party_kind)
        )
        return rows.all()

    async def set_mentor(self, mentor: TopicMentor) -> None:
        await self.session.merge(mentor)
        await self.session.flush()

    async def report(self, report_id: int, *, for_update: bool = False) -> TopicReport | None:
        query = (
            select(TopicReport)
            .where(TopicReport.id == report_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def report_of(self, topic_id: int, cycle: int) -> TopicReport | None:
        return await self.session.scalar(
            select(TopicReport).where(TopicReport.topic_id == topic_id, TopicReport.cycle == cycle)
        )

    async def reports(self, topic_id: int) -> Sequence[TopicReport]:
        rows = await self.session.scalars(
            select(TopicReport).where(TopicReport.topic_id == topic_id).order_by(TopicReport.cycle)
        )
        return rows.all()

    async def add_report(self, report: TopicReport) -> TopicReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def assessment(
        self, assessment_id: int, *, for_update: bool = False
    ) -> TopicAssessment | None:
        query = (
            select(TopicAssessment)
            .where(TopicAssessment.id == assessment_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def assessments(self, report_id: int) -> Sequence[TopicAssessment]:
        rows = await self.session.scalars(
            select(TopicAssessment)
            .where(TopicAssessment.report_id == report_id)
            .order_by(TopicAssessment.party_kind)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def add_assessment(self, assessment: TopicAssessment) -> TopicAssessment:
        self.session.add(assessment)
        await self.session.flush()
        return assessment

    async def assessments_waiting(self, before: dt.datetime) -> Sequence[TopicAssessment]:
        """Requested before `before`, not completed, not yet reminded."""
        rows = await self.session.scalars(
            select(TopicAssessment)
            .where(
                TopicAssessment.completed_at.is_(None),
                TopicAssessment.reminded_at.is_(None),
                TopicAssessment.requested_at <= before,
                TopicAssessment.mentor_id.is_not(None),
            )
            .order_by(TopicAssessment.id)
        )
        return rows.all()

    async def assessments_requested(
        self, since: dt.datetime, until: dt.datetime
    ) -> Sequence[TopicAssessment]:
        rows = await self.session.scalars(
            select(TopicAssessment).where(
                TopicAssessment.requested_at >= since, TopicAssessment.requested_at < until
            )
        )
        return rows.all()

    async def reminded(self, topic_id: int, cycle: int) -> set[str]:
        rows = await self.session.scalars(
            select(TopicReminder.stage).where(
                TopicReminder.topic_id == topic_id, TopicReminder.cycle == cycle
            )
        )
        return set(rows.all())

    async def add_reminder(self, reminder: TopicReminder) -> None:
        self.session.add(reminder)
        await self.session.flush()


class AchievementRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, achievement: Achievement) -> Achievement:
        self.session.add(achievement)
        await self.session.flush()
        return achievement

    async def get(self, achievement_id: int) -> Achievement | None:
        return await self.session.get(Achievement, achievement_id)

    async def all(self) -> Sequence[Achievement]:
        rows = await self.session.scalars(select(Achievement).order_by(Achievement.id))
        return rows.all()

    async def add_revenue(self, revenue: Revenue) -> Revenue:
        self.session.add(revenue)
        await self.session.flush()
        return revenue

    async def revenues(self, achievement_id: int) -> Sequence[Revenue]:
        rows = await self.session.scalars(
            select(Revenue)
            .where(Revenue.achievement_id == achievement_id)
            .options(selectinload(Revenue.shares))
            .order_by(Revenue.id)
        )
        return rows.all()


class TrainingRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: TrainingRecord) -> TrainingRecord:
        self.session.add(record)
        await self.session.flush()
        return record

    async def student_ids(self) -> set[int]:
        """Every student with training recorded."""
        rows = await self.session.scalars(select(TrainingRecord.student_id).distinct())
        return set(rows.all())

    async def of_student(self, student_id: int) -> Sequence[TrainingRecord]:
        rows = await self.session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.student_id == student_id)
            .order_by(TrainingRecord.day, TrainingRecord.id)
        )
        return rows.all()


class DigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_month(self, month: dt.date) -> dict[int, PartyMonth]:
        rows = await self.session.scalars(select(PartyMonth).where(PartyMonth.month == month))
        return {row.party_id: row for row in rows.all()}

    async def any(self) -> bool:
        return await self.session.scalar(select(PartyMonth.party_id).limit(1)) is not None

    async def add(self, row: PartyMonth) -> None:
        self.session.add(row)
        await self.session.flush()


class Repos:
    """All repositories over one session (one transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.consortium = ConsortiumRepo(session)
        self.parties = PartyRepo(session)
        self.people = PersonRepo(session)
        self.memberships = MembershipRepo(session)
        self.chats = ChatRepo(session)
        self.placements = PlacementRepo(session)
        self.invites = InviteRepo(session)
        self.oncall = OncallRepo(session)
        self.requests = RequestRepo(session)
        self.outbox = OutboxRepo(session)
        self.checkins = CheckinRepo(session)
        self.reports = ReportRepo(session)
        self.assessments = AssessmentRepo(session)
        self.conversations = ConversationRepo(session)
        self.updates = UpdateRepo(session)
        self.rules = RulesRepo(session)
        self.topics = TopicRepo(session)
        self.achievements = AchievementRepo(session)
        self.training = TrainingRepo(session)
        self.digests = DigestRepo(session)
