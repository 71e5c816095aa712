"""The monthly check-in: opening (scheduled or at once), votes, reminders, closing with a
summary, action items and history. No Telegram here: the caller renders and enqueues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.checkin import (
    OPEN_FOR,
    OPTION_KEYS,
    PartyTurnout,
    Schedule,
    absent_twice,
    moved_from,
    next_checkin,
    parse_schedule,
    skipped_days,
    turnout,
    years_around,
)
from bot.domain.holidays import Holiday, make_up_workdays, public_holidays
from bot.domain.reports import calendar_of, weeks_reported
from bot.domain.time import first_zone, local_today
from bot.services.context import ServiceContext
from bot.services.oncall import party_contacts, party_oncall
from db.errors import IntegrityError
from db.models import (
    ActionItem,
    Chat,
    Checkin,
    CheckinPolicy,
    CheckinPoll,
    CheckinState,
    Consortium,
    LiaisonRequest,
    PaceWarning,
    Party,
    Person,
    Placement,
    PublicHolidays,
    Role,
)


@dataclass(frozen=True)
class Rules:
    schedule: Schedule
    open_for: dt.timedelta
    reminders: tuple[dt.timedelta, ...]  # before closing, longest first
    holidays: frozenset[dt.date]  # the file's and the countries' public ones, around now
    timezone: str
    listed: frozenset[dt.date] = frozenset()  # the holidays the consortium file lists
    countries: tuple[str, ...] = ()  # whose public holidays count
    workdays: frozenset[dt.date] = frozenset()  # weekend days worked in all of them (调休)


async def rules(ctx: ServiceContext) -> Rules | None:
    policy = await ctx.repos.checkins.policy()
    if policy is None:
        return None
    consortium = await ctx.repos.consortium.get()
    listed = frozenset(dt.date.fromisoformat(d) for days in policy.holidays.values() for d in days)
    countries = await _holiday_countries(ctx, policy.public_holidays, consortium)
    timezone = first_zone(consortium, default=ctx.default_tz)
    years = years_around(ctx.now.astimezone(ZoneInfo(timezone)).date())
    return Rules(
        schedule=parse_schedule(policy.schedule),
        open_for=dt.timedelta(seconds=policy.open_for),
        reminders=tuple(sorted((dt.timedelta(seconds=s) for s in policy.reminders), reverse=True)),
        holidays=listed | frozenset(public_holidays(countries, years)),
        timezone=timezone,
        listed=listed,
        countries=countries,
        workdays=make_up_workdays(countries, years),
    )


async def _holiday_countries(
    ctx: ServiceContext, which: PublicHolidays, consortium: Consortium | None
) -> tuple[str, ...]:
    """The countries whose public holidays move a check-in, as the consortium file says."""
    if which is PublicHolidays.NONE:
        return ()
    countries = {consortium.country} if consortium and consortium.country else set()
    if which is PublicHolidays.PARTIES:
        countries |= {party.country for party in await ctx.repos.parties.all() if party.country}
    return tuple(sorted(countries))


@dataclass(frozen=True)
class SkippedDay:
    """A day a check-in moved past, and why: public holidays (country, name), a holiday
    the consortium file lists, or (neither) a weekend."""

    day: dt.date
    holidays: tuple[Holiday, ...] = ()
    listed: bool = False


def why_moved(found: Rules, day: dt.date, language: str) -> tuple[dt.date, list[SkippedDay]] | None:
    """When the check-in on `day` does not fall on the date the schedule names: that date
    and each day it moved past, with the holidays' names in the reader's language."""
    nominal = moved_from(found.schedule, day, found.holidays, found.workdays)
    if nominal is None:
        return None
    skipped = skipped_days(nominal, day)
    names = public_holidays(found.countries, {d.year for d in skipped}, language)
    return nominal, [SkippedDay(d, names.get(d, ()), d in found.listed) for d in skipped]


async def set_policy(
    ctx: ServiceContext,
    schedule: str,
    open_for: dt.timedelta | None = None,
    reminders: list[dt.timedelta] | None = None,
    holidays: dict[str, list[str]] | None = None,
) -> CheckinPolicy:
    parse_schedule(schedule)
    policy = await ctx.repos.checkins.policy()
    if policy is None:
        policy = await ctx.repos.checkins.add_policy(
            CheckinPolicy(
                schedule=schedule,
                open_for=int(OPEN_FOR.total_seconds()),
                reminders=[24 * 3600],
                holidays={},
            )
        )
    policy.schedule = schedule
    if open_for is not None:
        policy.open_for = int(open_for.total_seconds())
    if reminders is not None:
        policy.reminders = [int(r.total_seconds()) for r in reminders]
    if holidays is not None:
        policy.holidays = holidays
    return policy


@dataclass(frozen=True)
class ReportStats:
    """The weekly reports due in the last weeks, as the agenda counts them."""

    expected: int
    submitted: int
    late: int
    waiting: int  # mentors' scores not yet given for submitted reports


@dataclass
class Opening:
    reason: str  # "opened", "already_open", "no_groups"
    checkin: Checkin | None = None
    chats: list[Chat] = field(default_factory=list)
    open_requests: list[tuple[LiaisonRequest, Party]] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    reports: ReportStats = ReportStats(0, 0, 0, 0)
    gaps: list[tuple[PaceWarning, Person]] = field(default_factory=list)  # in programmes


async def _agenda(ctx: ServiceContext, checkin: Checkin, chats: list[Chat]) -> Opening:
    """An opened check-in with what its agenda lists."""
    return Opening(
        "opened",
        checkin,
        chats,
        await ctx.repos.checkins.open_questions(),
        list(await ctx.repos.checkins.open_actions()),
        await recent_reports(ctx),
        await agenda_gaps(ctx),
    )


# The gaps in students' programmes a check-in discusses: under way, or starting this soon.
AGENDA_AHEAD = dt.timedelta(weeks=6)


async def agenda_gaps(ctx: ServiceContext) -> list[tuple[PaceWarning, Person]]:
    """The gaps the coordinators were warned of, under way or starting within six weeks
    (the day as the consortium's zone has it), read from the warnings rather than worked out
    from every student's programme: the hourly pace sweep keeps them true."""
    today = local_today(
        ctx.now, first_zone(await ctx.repos.consortium.get(), default=ctx.default_tz)
    )
    return await ctx.repos.checkins.warned_gaps(today, today + AGENDA_AHEAD)


async def recent_reports(ctx: ServiceContext, weeks: int = 4) -> ReportStats:
    """The weekly reports due in the last `weeks` weeks: each student's weeks counted in
    their zone (their own, else their first site's, else the consortium's)."""
    repos = ctx.repos
    calendar = calendar_of(await repos.checkins.report_policy())
    fallback = first_zone(await repos.consortium.get(), default=ctx.default_tz)
    handed: dict[int, list[Any]] = {}
    for report in await repos.checkins.handed_in():
        handed.setdefault(report.student_id, []).append(report)
    students: dict[int, tuple[Person, str, list[Placement]]] = {}
    for placement, person, site in await repos.checkins.placed_students():
        zone = first_zone(person, site, default=fallback)
        students.setdefault(person.id, (person, zone, []))[2].append(placement)
    since = ctx.now - dt.timedelta(weeks=weeks)
    counted = [
        weeks_reported(
            stays, person.consented_at, zone, handed.get(pid, []), calendar, ctx.now, since
        )
        for pid, (person, zone, stays) in students.items()
    ]
    return ReportStats(
        sum(c.expected for c in counted),
        sum(c.submitted for c in counted),
        sum(c.late for c in counted),
        await repos.checkins.scores_pending(),
    )


async def open_checkin(
    ctx: ServiceContext,
    opener: Person | None,
    scheduled_for: dt.date | None,
    open_for: dt.timedelta,
) -> Opening:
    """Open a check-in in every active linked group (the caller posts agenda and poll)."""
    if await ctx.repos.checkins.open_one(lock=True) is not None:
        return Opening("already_open", await ctx.repos.checkins.open_one())
    chats = list(await ctx.repos.checkins.groups())
    if not chats:
        return Opening("no_groups")
    try:
        # A savepoint: when someone opened one at the same moment, the database's
        # one-open-check-in index refuses this one and the caller's transaction goes on.
        async with ctx.repos.savepoint():
            checkin = await ctx.repos.checkins.add(
                Checkin(
                    scheduled_for=scheduled_for,
                    state=CheckinState.OPEN,
                    opened_at=ctx.now,
                    closes_at=ctx.now + open_for,
                    opened_by_id=opener.id if opener else None,
                    reminders_sent=0,
                )
            )
    except IntegrityError:
        return Opening("already_open", await ctx.repos.checkins.open_one())
    return await _agenda(ctx, checkin, chats)


async def reopen_in_upgraded_group(ctx: ServiceContext, new_id: int) -> Opening | None:
    """A linked group became a supergroup while a check-in is open: its poll stayed in the
    old group, where nobody can vote any more, so the supergroup gets the agenda and a poll
    of its own (votes already cast count, by the old poll's id). None when nothing is due:
    no open check-in, or the poll had not been sent and moved with the group."""
    checkin = await ctx.repos.checkins.open_one()
    chat = await ctx.repos.chats.by_telegram_id(new_id)
    if checkin is None or chat is None or not (chat.linked and chat.active):
        return None
    if any(p.chat_id == new_id for p in await ctx.repos.checkins.polls(checkin.id)):
        return None
    return await _agenda(ctx, checkin, [chat])


async def scheduled_due(ctx: ServiceContext) -> tuple[dt.date, Rules] | None:
    """A scheduled check-in whose time has come and that was not opened yet."""
    found = await rules(ctx)
    if found is None:
        return None
    day, start = next_checkin(
        found.schedule,
        found.timezone,
        ctx.now - found.open_for,
        set(found.holidays),
        found.workdays,
    )
    if start > ctx.now or await ctx.repos.checkins.by_date(day) is not None:
        return None
    return day, found


async def record_answer(
    ctx: ServiceContext, poll_id: str, telegram_user_id: int, name: str, option_ids: list[int]
) -> bool:
    """A vote, a changed vote or (no options) a withdrawn one; False if not counted now:
    closed, or for a poll whose id is not recorded yet (kept until it is, see `EarlyPollAnswer`).
    """
    found = await ctx.repos.checkins.poll_and_state(poll_id)
    if found is None:
        valid = _valid(option_ids)
        await ctx.repos.checkins.keep_early_answer(
            poll_id, telegram_user_id, name[:200], valid, ctx.now
        )
        return False
    poll, state = found
    if state is not CheckinState.OPEN:
        return False
    await _put(ctx, poll, telegram_user_id, name, option_ids, ctx.now)
    return True


async def record_open_vote(
    ctx: ServiceContext, poll_id: str, telegram_user_id: int, name: str, option_ids: list[int]
) -> bool:
    """The usual answer, in one statement: a vote (or a changed one) in a recorded poll of
    the open check-in. False when the answer is not that (nothing written then):
    `record_answer` decides what it is."""
    valid = _valid(option_ids)
    if not valid:
        return False
    return await ctx.repos.checkins.put_open_vote(
        poll_id, telegram_user_id, name[:200], valid, ctx.now
    )


async def count_early_answers(ctx: ServiceContext, polls: Iterable[CheckinPoll]) -> int:
    """Count the votes kept for these polls before their ids were recorded (those of a
    check-in no longer open are dropped); how many were kept."""
    known = {p.poll_id: p for p in polls if p.poll_id is not None}
    early = await ctx.repos.checkins.take_early_answers(sorted(known))
    for answer in early:
        poll = known[answer.poll_id]
        checkin = await ctx.repos.checkins.get(poll.checkin_id)
        if checkin is None or checkin.state is not CheckinState.OPEN:
            continue
        current = await ctx.repos.checkins.vote_at(poll.id, answer.telegram_user_id)
        if current is not None and current > answer.at:  # changed since: the newer stands
            continue
        await _put(ctx, poll, answer.telegram_user_id, answer.name, answer.option_ids, answer.at)
    return len(early)


async def count_stray_early_answers(ctx: ServiceContext) -> int:
    """Count the kept votes whose poll is recorded by now. A vote that arrives while its
    poll is being recorded can miss both ways (the vote does not see the poll's id, the
    recording does not see the kept vote); the scheduler sweeps such votes in."""
    return await count_early_answers(ctx, await ctx.repos.checkins.polls_with_early_answers())


async def _put(
    ctx: ServiceContext,
    poll: CheckinPoll,
    telegram_user_id: int,
    name: str,
    option_ids: list[int],
    at: dt.datetime,
) -> None:
    """Store the answer in an open check-in's poll; no valid option withdraws the vote."""
    valid = _valid(option_ids)
    if not valid:
        await ctx.repos.checkins.withdraw_vote(poll.id, telegram_user_id)
        return
    await ctx.repos.checkins.put_vote(poll.id, telegram_user_id, name[:200], valid, at)


def _valid(option_ids: Iterable[int]) -> list[int]:
    """The options chosen that the check-in's poll has, each once, in order."""
    return sorted({i for i in option_ids if 0 <= i < len(OPTION_KEYS)})


@dataclass
class Tally:
    options: list[int]  # votes per option, in OPTION_KEYS order
    parties: list[PartyTurnout]
    outsiders: int  # votes from people outside the consortium
    party_names: dict[str, str]


async def tally(ctx: ServiceContext, checkin: Checkin) -> Tally:
    parties = list(await ctx.repos.parties.all())
    by_id = {p.id: p for p in parties}
    memberships: dict[int, set[str]] = {}
    for membership in await ctx.repos.memberships.all():
        memberships.setdefault(membership.person_id, set()).add(by_id[membership.party_id].key)
    options = [0] * len(OPTION_KEYS)
    voters: dict[str, list[str]] = {}
    outsiders = 0
    for vote in await ctx.repos.checkins.votes(checkin.id):
        keys = memberships.get(vote.person_id or -1, set())
        if not keys:  # outside the consortium: counted apart, not in the options
            outsiders += 1
            continue
        for index in vote.option_ids:
            options[index] += 1
        for key in keys:
            voters.setdefault(key, []).append(vote.name)
    return Tally(
        options,
        turnout([p.key for p in parties], voters),
        outsiders,
        {p.key: p.name for p in parties},
    )


@dataclass
class Reminder:
    checkin: Checkin
    missing: list[Party]
    contacts: list[tuple[Party, Person]]  # whom to remind privately
    chats: list[Chat]


async def reminder_due(ctx: ServiceContext) -> Reminder | None:
    """The next reminder of the open check-in, if its time has come (marked as sent)."""
    checkin = await ctx.repos.checkins.open_one(lock=True)
    found = await rules(ctx)
    if checkin is None or found is None or checkin.reminders_sent >= len(found.reminders):
        return None
    if ctx.now < checkin.closes_at - found.reminders[checkin.reminders_sent]:
        return None
    checkin.reminders_sent += 1
    counted = await tally(ctx, checkin)
    parties = {p.key: p for p in await ctx.repos.parties.all()}
    missing = [parties[t.party_key] for t in counted.parties if not t.answered]
    contacts = []
    for party in missing:
        state = await party_oncall(ctx.repos, party, ctx.now, ctx.default_tz)
        person_id = state.at(ctx.now).person
        person = await ctx.repos.people.by_id(person_id) if person_id else None
        if person is None:
            found_contacts = await party_contacts(ctx.repos, party.id)
            person = found_contacts[0] if found_contacts else None
        if person is not None:
            contacts.append((party, person))
    chats = [
        c
        for c in await ctx.repos.checkins.groups()
        if any(
            p.checkin_id == checkin.id and p.chat_id == c.telegram_id
            for p in await ctx.repos.checkins.polls(checkin.id)
        )
    ]
    return Reminder(checkin, missing, contacts, chats) if missing else None


@dataclass
class Closing:
    checkin: Checkin
    tally: Tally
    absent_twice: list[str]
    actions: list[ActionItem]
    polls: list[tuple[int, int]]  # (chat id, poll message id) to stop
    chats: list[Chat]
    coordinators: list[Person]


async def close_checkin(ctx: ServiceContext, checkin_id: int | None = None) -> Closing | None:
    """Close the open check-in (when its time is up, or when asked); None if none is open."""
    checkin = (
        await ctx.repos.checkins.get(checkin_id, lock=True)
        if checkin_id
        else await ctx.repos.checkins.open_one(lock=True)
    )
    if checkin is None or checkin.state is not CheckinState.OPEN:
        return None
    await count_early_answers(ctx, await ctx.repos.checkins.polls(checkin.id))
    counted = await tally(ctx, checkin)
    previous = await _previous_turnout(ctx, checkin)
    absent = absent_twice(previous, counted.parties)
    checkin.state, checkin.closed_at = CheckinState.CLOSED, ctx.now
    checkin.summary = {
        "options": counted.options,
        "parties": {t.party_key: list(t.voters) for t in counted.parties},
        "outsiders": counted.outsiders,
        "absent_twice": absent,
    }
    polls = [
        (p.chat_id, p.message_id)
        for p in await ctx.repos.checkins.polls(checkin.id)
        if p.message_id is not None
    ]
    chat_ids = {p.chat_id for p in await ctx.repos.checkins.polls(checkin.id)}
    chats = [c for c in await ctx.repos.checkins.groups() if c.telegram_id in chat_ids]
    coordinators = list(await ctx.repos.memberships.people_with_role(Role.COORDINATOR))
    return Closing(
        checkin,
        counted,
        absent,
        list(await ctx.repos.checkins.actions_of(checkin.id))
        + [a for a in await ctx.repos.checkins.open_actions() if a.checkin_id != checkin.id],
        polls,
        chats,
        coordinators,
    )


async def _previous_turnout(ctx: ServiceContext, checkin: Checkin) -> list[PartyTurnout] | None:
    for earlier in await ctx.repos.checkins.closed():
        if earlier.id < checkin.id and earlier.summary:
            voters: dict[str, Any] = earlier.summary.get("parties", {})
            return [PartyTurnout(key, tuple(names)) for key, names in voters.items()]
    return None


async def add_action(ctx: ServiceContext, person: Person, text: str) -> ActionItem | None:
    checkin = await ctx.repos.checkins.open_one()
    if checkin is None:
        return None
    memberships = await ctx.repos.memberships.of_person(person.id)
    party_id = memberships[0].party_id if memberships else None
    return await ctx.repos.checkins.add_action(
        ActionItem(checkin_id=checkin.id, text=text[:500], author_id=person.id, party_id=party_id)
    )


async def finish_action(ctx: ServiceContext, person: Person, item_id: int) -> str:
    """Mark an action item done: its author, its party's contacts or a coordinator."""
    item = await ctx.repos.checkins.action(item_id)
    if item is None:
        return "unknown"
    if item.done_at is not None:
        return "already"
    roles = await ctx.repos.memberships.of_person(person.id)
    allowed = person.id == item.author_id or any(
        m.role is Role.COORDINATOR or (m.role is Role.CONTACT and m.party_id == item.party_id)
        for m in roles
    )
    if not allowed:
        return "not_yours"
    item.done_at, item.done_by_id = ctx.now, person.id
    return "done"
