"""People, who is calling (with their roles and conversation in one query), their
memberships and the invitations they join with, and everything stored about one person
(/mydata) with the writes that erase it (/forget)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from db.models import (
    ActionItem,
    Assessment,
    AssessmentHistory,
    Checkin,
    CheckinPoll,
    CheckinVote,
    Consortium,
    Conversation,
    EarlyPollAnswer,
    Invite,
    InviteRedemption,
    LiaisonRequest,
    Membership,
    Outbox,
    OutboxState,
    Person,
    Placement,
    PlacementMentor,
    ReportStatus,
    RequestEvent,
    Revenue,
    RevenueShare,
    Role,
    Topic,
    TopicApplication,
    TopicAssessment,
    TopicNeed,
    TopicReport,
    TopicState,
    TrainingRecord,
    WeeklyReport,
)
from db.repositories.consortium import READ as consortium_row


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
        second. The consortium row is kept for the transaction's `repos.consortium.get()`."""
        parameters = {"telegram_id": telegram_id}
        rows = (await self.session.execute(_CALLER, parameters)).all()
        if rows:
            consortium: Consortium | None = rows[0][0]
            self.session.info[consortium_row] = consortium  # `repos.consortium.get()` reads it
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


_PEOPLE_OF_PARTY = (
    select(Person)
    .join(Membership, Membership.person_id == Person.id)
    .where(Membership.party_id == bindparam("party_id"), Membership.role == bindparam("role"))
    .order_by(Membership.person_id)
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

    async def people_with_role(
        self, role: Role, only: Iterable[int] | None = None
    ) -> Sequence[Person]:
        """The people who hold `role` in some party (of the person ids `only`, if given)."""
        query = (
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.role == role)
            .distinct()
            .order_by(Person.telegram_id)
        )
        if only is not None:
            query = query.where(Person.id.in_(list(only)))
        return (await self.session.scalars(query)).all()


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


class PersonalDataRepo:
    """Everything stored about one person, across features, for /mydata; and the writes
    that erase or anonymise it for /forget (what to keep is `bot.services.people`'s rule)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mentoring(self, person_id: int) -> Sequence[PlacementMentor]:
        rows = await self.session.scalars(
            select(PlacementMentor).where(PlacementMentor.person_id == person_id)
        )
        return rows.all()

    async def redemptions(self, person_id: int) -> Sequence[InviteRedemption]:
        rows = await self.session.scalars(
            select(InviteRedemption).where(InviteRedemption.person_id == person_id)
        )
        return rows.all()

    async def reports(self, student_id: int) -> list[WeeklyReport]:
        """A student's weekly reports, drafts included, each with its files, by week."""
        rows = await self.session.scalars(
            select(WeeklyReport)
            .where(WeeklyReport.student_id == student_id)
            .options(selectinload(WeeklyReport.attachments))
            .order_by(WeeklyReport.week)
        )
        return list(rows.all())

    async def scores_received(self, student_id: int) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment)
            .where(Assessment.student_id == student_id)
            .order_by(Assessment.week, Assessment.party_kind)
        )
        return rows.all()

    async def scores_given(self, mentor_id: int) -> Sequence[Assessment]:
        rows = await self.session.scalars(
            select(Assessment).where(Assessment.mentor_id == mentor_id).order_by(Assessment.id)
        )
        return rows.all()

    async def votes(self, telegram_id: int) -> list[tuple[CheckinVote, int]]:
        """A person's check-in votes, each with its check-in's id."""
        rows = await self.session.execute(
            select(CheckinVote, CheckinPoll.checkin_id)
            .join(CheckinPoll, CheckinPoll.id == CheckinVote.poll_id)
            .where(CheckinVote.telegram_user_id == telegram_id)
            .order_by(CheckinPoll.checkin_id)
        )
        return [(vote, checkin_id) for vote, checkin_id in rows]

    async def applications(self, student_id: int) -> Sequence[TopicApplication]:
        rows = await self.session.scalars(
            select(TopicApplication)
            .where(TopicApplication.student_id == student_id)
            .order_by(TopicApplication.id)
        )
        return rows.all()

    async def topic_reports_written(self, person_id: int) -> Sequence[TopicReport]:
        rows = await self.session.scalars(
            select(TopicReport).where(TopicReport.author_id == person_id).order_by(TopicReport.id)
        )
        return rows.all()

    async def revenue_shares(self, person_id: int) -> list[tuple[RevenueShare, Revenue]]:
        rows = await self.session.execute(
            select(RevenueShare, Revenue)
            .join(Revenue, Revenue.id == RevenueShare.revenue_id)
            .where(RevenueShare.person_id == person_id)
            .order_by(Revenue.id)
        )
        return [(share, revenue) for share, revenue in rows]

    async def questions_asked(self, person_id: int) -> list[LiaisonRequest]:
        rows = await self.session.scalars(
            select(LiaisonRequest)
            .where(LiaisonRequest.asker_id == person_id)
            .order_by(LiaisonRequest.id)
        )
        return list(rows)

    async def questions_handled(self, person_id: int) -> list[LiaisonRequest]:
        """Others' questions the person took part in, or was the contact of."""
        rows = await self.session.scalars(
            select(LiaisonRequest)
            .where(
                LiaisonRequest.id.in_(
                    select(RequestEvent.request_id).where(RequestEvent.person_id == person_id)
                )
                | (LiaisonRequest.contact_id == person_id),
                LiaisonRequest.asker_id.is_distinct_from(person_id),
            )
            .order_by(LiaisonRequest.id)
        )
        return list(rows)

    async def action_items(self, person_id: int) -> Sequence[ActionItem]:
        rows = await self.session.scalars(
            select(ActionItem).where(ActionItem.author_id == person_id).order_by(ActionItem.id)
        )
        return rows.all()

    async def topics_written(self, person_id: int) -> Sequence[Topic]:
        rows = await self.session.scalars(
            select(Topic).where(Topic.author_id == person_id).order_by(Topic.id)
        )
        return rows.all()

    async def topic_needs(self, person_id: int) -> Sequence[TopicNeed]:
        rows = await self.session.scalars(
            select(TopicNeed).where(TopicNeed.person_id == person_id).order_by(TopicNeed.id)
        )
        return rows.all()

    async def topic_scores_given(self, mentor_id: int) -> list[tuple[TopicAssessment, int, int]]:
        """The team reports a mentor scored: (scores, topic id, cycle) each."""
        rows = await self.session.execute(
            select(TopicAssessment, TopicReport.topic_id, TopicReport.cycle)
            .join(TopicReport, TopicReport.id == TopicAssessment.report_id)
            .where(TopicAssessment.mentor_id == mentor_id)
            .order_by(TopicAssessment.id)
        )
        return [(scores, topic_id, cycle) for scores, topic_id, cycle in rows]

    async def unlink(self, person_id: int, erased_name: str) -> None:
        """Remove a person from what others still need: their name from revenue shares (the
        split must still add up), their placements' mentoring, the invites they used, their
        roles and their conversation."""
        await self.session.execute(
            update(RevenueShare).where(RevenueShare.person_id == person_id).values(name=erased_name)
        )
        await self.session.execute(
            delete(PlacementMentor).where(PlacementMentor.person_id == person_id)
        )
        await self.session.execute(
            delete(InviteRedemption).where(InviteRedemption.person_id == person_id)
        )
        await self.session.execute(delete(Membership).where(Membership.person_id == person_id))
        await self.session.execute(delete(Conversation).where(Conversation.person_id == person_id))

    async def feeds_figures(self, student_id: int) -> bool:
        """Whether a student has scores or a submitted report (the cohort's figures use
        them)."""
        scored = await self.session.scalar(
            select(Assessment.id).where(Assessment.student_id == student_id).limit(1)
        )
        submitted = await self.session.scalar(
            select(WeeklyReport.id)
            .where(WeeklyReport.student_id == student_id, WeeklyReport.submitted_at.is_not(None))
            .limit(1)
        )
        return scored is not None or submitted is not None

    async def delete(self, person: Person) -> None:
        """Delete a person with their placements (the rest goes by the foreign keys)."""
        await self.session.execute(delete(Placement).where(Placement.student_id == person.id))
        await self.session.delete(person)
        await self.session.flush()

    async def delete_drafts(self, student_id: int) -> None:
        """A student's draft reports (never submitted: no figure uses them)."""
        await self.session.execute(
            delete(WeeklyReport).where(
                WeeklyReport.student_id == student_id, WeeklyReport.status == ReportStatus.DRAFT
            )
        )

    async def forget_comments(self, student_id: int) -> None:
        """The comments on a student's scores and the notes on their training."""
        for scores in (Assessment, AssessmentHistory):
            await self.session.execute(
                update(scores).where(scores.student_id == student_id).values(comment=None)
            )
        await self.session.execute(
            update(TrainingRecord).where(TrainingRecord.student_id == student_id).values(note=None)
        )

    async def forget_words(
        self, person: Person, names: list[str], words: Sequence[str], erased: str
    ) -> None:
        """Erase a person's words where others still need the row (`erased` where a text is
        required): the texts of messages already sent about the questions they asked or took
        part in, their questions' texts, the `words` kinds of their request events, a
        hand-over's record of their `names`, their action items' texts, their topic drafts
        (deleted), their authorship of topics, needs and team reports (with the reports'
        texts), and their comments on scores they gave."""
        session = self.session
        asked = select(LiaisonRequest.id).where(LiaisonRequest.asker_id == person.id)
        took_part = select(RequestEvent.request_id).where(RequestEvent.person_id == person.id)
        await session.execute(
            update(Outbox)
            .where(
                Outbox.state != OutboxState.PENDING,
                Outbox.request_id.in_(asked) | Outbox.request_id.in_(took_part),
            )
            .values(text=None)
        )
        await session.execute(
            update(LiaisonRequest)
            .where(LiaisonRequest.asker_id == person.id)
            .values(question=erased)
        )
        await session.execute(
            update(RequestEvent)
            .where(RequestEvent.person_id == person.id, RequestEvent.kind.in_(words))
            .values(detail=None)
        )
        await session.execute(
            update(RequestEvent)
            .where(RequestEvent.kind == "handed_over", RequestEvent.detail.in_(names))
            .values(detail=None)
        )
        await session.execute(
            update(ActionItem).where(ActionItem.author_id == person.id).values(text=erased)
        )
        await session.execute(
            delete(Topic).where(Topic.author_id == person.id, Topic.state == TopicState.DRAFT)
        )
        await session.execute(
            update(Topic).where(Topic.author_id == person.id).values(author_id=None)
        )
        await session.execute(
            update(TopicNeed).where(TopicNeed.person_id == person.id).values(person_id=None)
        )
        await session.execute(
            update(TopicReport)
            .where(TopicReport.author_id == person.id)
            .values(author_id=None, progress=None, plans=None)
        )
        for scores in (Assessment, AssessmentHistory, TopicAssessment):
            await session.execute(
                update(scores).where(scores.mentor_id == person.id).values(comment=None)
            )

    async def vote_names(self, telegram_id: int) -> set[str]:
        """The names a voter's check-in votes were cast under."""
        rows = await self.session.scalars(
            select(CheckinVote.name).where(CheckinVote.telegram_user_id == telegram_id)
        )
        return set(rows)

    async def forget_votes(self, telegram_id: int, person_id: int, erased_name: str) -> None:
        """Drop a voter's early answers; their votes stay, counted, under no one: the key
        `-person_id`, which no Telegram account has, and `erased_name`."""
        await self.session.execute(
            delete(EarlyPollAnswer).where(EarlyPollAnswer.telegram_user_id == telegram_id)
        )
        await self.session.execute(
            update(CheckinVote)
            .where(CheckinVote.telegram_user_id == telegram_id)
            .values(telegram_user_id=-person_id, person_id=None, name=erased_name)
        )

    async def summarised_checkins(self) -> Sequence[Checkin]:
        """Closed check-ins, whose summaries name who answered."""
        rows = await self.session.scalars(select(Checkin).where(Checkin.summary.is_not(None)))
        return rows.all()
