"""The check-in: its policy, polls, votes (written in one statement each), early
answers and action items; and what its agenda reads of the other features' tables (the
linked groups, the open liaison questions, the weekly reports due, the gaps in students'
programmes the coordinators were warned of), so that opening a
check-in is followed in this one repository."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    ActionItem,
    Assessment,
    Chat,
    Checkin,
    CheckinPolicy,
    CheckinPoll,
    CheckinState,
    CheckinVote,
    EarlyPollAnswer,
    LiaisonRequest,
    PaceWarning,
    Party,
    Person,
    Placement,
    ReportPolicy,
    ReportStatus,
    RequestState,
    WeeklyReport,
)
from db.repositories.statements import DIALECT_INSERTS, LINKED_GROUPS, dialect, scores_pending


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


_VOTE_UPSERT = {name: _vote_upsert(insert) for name, insert in DIALECT_INSERTS.items()}


_OPEN_VOTE_UPSERT = {name: _open_vote_upsert(insert) for name, insert in DIALECT_INSERTS.items()}


_POLL_AND_STATE = (
    select(CheckinPoll, Checkin.state)
    .join(Checkin, Checkin.id == CheckinPoll.checkin_id)
    .where(CheckinPoll.poll_id == bindparam("poll_id"))
)


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
            _VOTE_UPSERT[dialect(self.session)],
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
            _OPEN_VOTE_UPSERT[dialect(self.session)],
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

    # What the agenda reads of the other features' tables.

    async def groups(self) -> Sequence[Chat]:
        """The linked groups the bot is still in: where a check-in is held."""
        return (await self.session.scalars(LINKED_GROUPS)).all()

    async def open_questions(self) -> list[tuple[LiaisonRequest, Party]]:
        """The liaison questions not yet answered or closed, oldest first, with their party."""
        rows = await self.session.execute(
            select(LiaisonRequest, Party)
            .join(Party, Party.id == LiaisonRequest.party_id)
            .where(
                LiaisonRequest.state.in_(
                    [RequestState.HELD, RequestState.OPEN, RequestState.ACKNOWLEDGED]
                )
            )
            .order_by(LiaisonRequest.opened_at)
        )
        return [(request, party) for request, party in rows.all()]

    async def report_policy(self) -> ReportPolicy | None:
        return await self.session.scalar(select(ReportPolicy).order_by(ReportPolicy.id).limit(1))

    async def placed_students(self) -> list[tuple[Placement, Person, Party | None]]:
        """Every placement with its student and its site, by student and start."""
        rows = await self.session.execute(
            select(Placement, Person, Party)
            .join(Person, Person.id == Placement.student_id)
            .outerjoin(Party, Party.id == Placement.site_id)
            .order_by(Placement.student_id, Placement.start_date)
        )
        return [(placement, person, site) for placement, person, site in rows.all()]

    async def handed_in(self) -> Sequence[Any]:
        """The weeks of the reports not in draft: student, week, submitted_at, late."""
        rows = await self.session.execute(
            select(
                WeeklyReport.student_id,
                WeeklyReport.week,
                WeeklyReport.submitted_at,
                WeeklyReport.late,
            ).where(WeeklyReport.status != ReportStatus.DRAFT)
        )
        return rows.all()

    async def scores_pending(self) -> int:
        """Scores asked of mentors for weekly reports and not given yet."""
        return int(await self.session.scalar(scores_pending(Assessment)) or 0)

    async def warned_gaps(self, today: dt.date, ahead: dt.date) -> list[tuple[PaceWarning, Person]]:
        """The gaps in students' programmes the coordinators were warned of (the hourly pace
        sweep withdraws a warning whose gap was filled) that are not over by `today` and start
        by `ahead`, soonest first, with their student."""
        rows = await self.session.execute(
            select(PaceWarning, Person)
            .join(Person, Person.id == PaceWarning.student_id)
            .where(PaceWarning.gap_end >= today, PaceWarning.gap_start <= ahead)
            .order_by(PaceWarning.gap_start, Person.telegram_id)
        )
        return [(warning, person) for warning, person in rows.all()]
