"""Achievements and the revenue from them: recording an outcome with its parties and
members, and splitting each revenue by the consortium's rules, exactly, to the cent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from babel.numbers import get_currency_precision

from bot.domain.numbers import NotANumber, parse_decimal
from bot.domain.reports import InputProblem, checked_text
from bot.domain.revenue import Split, known_currency, split_revenue
from bot.services import analytics, people, rules, topics
from bot.services.context import ServiceContext
from bot.services.reports import students as placed_students
from db.models import (
    Achievement,
    AchievementKind,
    Party,
    Person,
    Revenue,
    RevenueShare,
    Role,
    Topic,
    TopicState,
)
from db.repositories import Repos

MAX_TITLE = 300
MAX_NOTE = 300
MAX_AMOUNT = Decimal("1e12")


def parse_kind(text: str) -> AchievementKind:
    aliases = {
        "专利": "patent",
        "软件": "software",
        "产品": "product",
        "论文": "paper",
        "标准": "standard",
    }
    value = aliases.get(text.strip(), text.strip().lower())
    try:
        return AchievementKind(value)
    except ValueError:
        raise InputProblem("not_kind") from None


def parse_amount(text: str, currency: str) -> Decimal:
    """`12500`, `12500.50`, `12,500.50`: a positive amount with at most the currency's
    decimals (none for yen)."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    places = get_currency_precision(currency)
    smallest = Decimal(1).scaleb(-places)
    amount = parse_decimal(cleaned, smallest, MAX_AMOUNT - smallest, places=places)
    if isinstance(amount, NotANumber):
        if amount.reason == "decimals":
            raise InputProblem("too_many_decimals", places)
        raise InputProblem("not_amount")
    return amount


@dataclass
class Recorded:
    reason: str  # "recorded", "no_topic", "not_yours", "no_parties"
    achievement: Achievement | None = None
    parties: list[Party] = field(default_factory=list)
    members: list[Person] = field(default_factory=list)


async def _topic_parties(repos: Repos, topic: Topic) -> list[int]:
    ids = [topic.party_id]
    ids += [m.party_id for m in await repos.topics.mentors(topic.id)]
    ids += [n.party_id for n in await repos.topics.needs(topic.id)]
    return list(dict.fromkeys(ids))


async def _student_parties(repos: Repos, student: Person) -> list[int]:
    """A student's own parties and those of their placements' mentors."""
    ids = [m.party_id for m in await repos.memberships.of_person(student.id)]
    for placement in await repos.placements.of_student(student.id):
        for mentor in placement.mentors:
            for membership in await repos.memberships.of_person(mentor.person_id):
                party = await repos.parties.by_id(membership.party_id)
                if party is not None and party.kind is mentor.party_kind:
                    ids.append(party.id)
    return list(dict.fromkeys(ids))


async def record(
    repos: Repos,
    person: Person,
    roles: set[Role],
    topic_id: int | None,
    kind: AchievementKind,
    title: str,
    now: dt.datetime,
) -> Recorded:
    """A topic's team (a member, the publisher or a coordinator) or a student on their own
    records an outcome; its parties and members come from the topic or the student."""
    title = checked_text(" ".join(title.split()), MAX_TITLE)
    if topic_id is not None:
        topic = await repos.topics.get(topic_id)
        if topic is None or topic.state not in (TopicState.RUNNING, TopicState.CLOSED):
            return Recorded("no_topic")
        team = await repos.topics.team(topic.id)
        if person.id not in team and not await people.speaks_for(repos, person, topic.party_id):
            return Recorded("not_yours")
        party_ids, member_ids = await _topic_parties(repos, topic), team
    else:
        if Role.STUDENT not in roles:
            return Recorded("not_yours")
        party_ids, member_ids = await _student_parties(repos, person), [person.id]
    parties = [p for pid in party_ids if (p := await repos.parties.by_id(pid))]
    if not parties:
        return Recorded("no_parties")
    achievement = await repos.achievements.add(
        Achievement(
            kind=kind,
            title=title,
            topic_id=topic_id,
            recorded_by_id=person.id,
            recorded_at=now,
            party_ids=[p.id for p in parties],
            member_ids=member_ids,
        )
    )
    members = [m for pid in member_ids if (m := await repos.people.by_id(pid))]
    return Recorded("recorded", achievement, parties, members)


@dataclass
class AchievementView:
    achievement: Achievement
    parties: list[Party]
    members: list[Person]
    revenues: list[Revenue]


async def view(repos: Repos, achievement: Achievement) -> AchievementView:
    return AchievementView(
        achievement,
        [p for pid in achievement.party_ids if (p := await repos.parties.by_id(pid))],
        [m for pid in achievement.member_ids if (m := await repos.people.by_id(pid))],
        list(await repos.achievements.revenues(achievement.id)),
    )


async def visible_to(repos: Repos, person: Person, roles: set[Role]) -> list[AchievementView]:
    """Coordinators see every achievement; others those of their parties or their own."""
    mine = {m.party_id for m in await repos.memberships.of_person(person.id)}
    found = []
    for achievement in await repos.achievements.all():
        if (
            Role.COORDINATOR in roles
            or person.id in achievement.member_ids
            or mine & set(achievement.party_ids)
        ):
            found.append(await view(repos, achievement))
    return found


async def participation_of(
    repos: Repos, achievement: Achievement, now: dt.datetime, zone: str
) -> tuple[Fraction, str]:
    """The students' participation rate in the project, and what it was measured on: the
    topic's report cycles, or a student's weekly reports."""
    if achievement.topic_id is not None:
        topic = await repos.topics.get(achievement.topic_id)
        if topic is not None:
            ctx = ServiceContext(repos, now, zone)
            rate, _ = await topics.team_participation(ctx, topic)
            return rate, "topic"
    calendar = (await analytics.rules(repos)).calendar
    rates = []
    for student_id in achievement.member_ids:
        info = (await placed_students(repos, zone, only=student_id)).get(student_id)
        if info is None:
            rates.append(Fraction(0))
            continue
        reports = await repos.reports.of_student(student_id)
        counted = analytics.participation(info, reports, calendar, now)
        rates.append(
            Fraction(counted.submitted, counted.expected) if counted.expected else Fraction(0)
        )
    return (sum(rates, Fraction(0)) / len(rates) if rates else Fraction(0)), "weekly"


@dataclass
class RevenueAdded:
    reason: str  # "added", "gone", "no_share"
    view: AchievementView | None = None
    revenue: Revenue | None = None
    split: Split | None = None
    participation: Fraction = Fraction(0)
    measured_on: str = ""
    notify: list[Person] = field(default_factory=list)


async def add_revenue(
    repos: Repos,
    person: Person,
    achievement_id: int,
    amount_text: str,
    currency: str | None,
    note: str | None,
    now: dt.datetime,
    zone: str,
) -> RevenueAdded:
    """Record revenue and split it: the parties by their kind's share, the students by
    theirs, raised when their participation reaches the threshold."""
    achievement = await repos.achievements.get(achievement_id)
    if achievement is None:
        return RevenueAdded("gone")
    spec = await rules.achievements(repos)
    code = (currency or spec.currency).upper()
    if not known_currency(code):
        raise InputProblem("not_currency")
    amount = parse_amount(amount_text, code)
    if note is not None and len(note) > MAX_NOTE:
        raise InputProblem("too_long", MAX_NOTE)
    shown = await view(repos, achievement)
    split_rules = rules.split_rules(spec)
    sharing = [p for p in shown.parties if p.kind.value in split_rules.parties]
    if not sharing or not shown.members:
        return RevenueAdded("no_share", shown)
    rate, measured_on = await participation_of(repos, achievement, now, zone)
    names = {f"p{p.id}": p.kind.value for p in sharing}
    students = [f"s{m.id}" for m in shown.members]
    try:
        split = split_revenue(amount, code, names, students, rate, split_rules)
    except ValueError:
        return RevenueAdded("no_share", shown)
    places = get_currency_precision(code)
    revenue = Revenue(
        achievement_id=achievement.id,
        amount_minor=int(amount.scaleb(places)),
        currency=code,
        participation=str(rate),
        raised=split.raised,
        note=note,
        recorded_by_id=person.id,
        recorded_at=now,
    )
    by_key = {f"p{p.id}": p for p in sharing} | {f"s{m.id}": m for m in shown.members}
    for position, (key, value) in enumerate(split.amounts.items()):
        recipient = by_key[key]
        revenue.shares.append(
            RevenueShare(
                position=position,
                party_id=recipient.id if isinstance(recipient, Party) else None,
                person_id=recipient.id if isinstance(recipient, Person) else None,
                name=recipient.name or str(getattr(recipient, "telegram_id", "")),
                percent=_exact(split.percent[key]),
                amount_minor=int(value.scaleb(places)),
            )
        )
    await repos.achievements.add_revenue(revenue)
    notify: list[Person] = []
    for party in sharing:
        notify += await people.contacts_of(repos, party.id)
    notify += shown.members
    unique = list({p.id: p for p in notify}.values())
    shown.revenues.append(revenue)
    return RevenueAdded("added", shown, revenue, split, rate, measured_on, unique)


def _exact(value: Fraction) -> str:
    """A percentage exactly: a decimal when it has one, else a fraction."""
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(decimal) == value:
        return str(decimal.normalize())
    return f"{value.numerator}/{value.denominator}"


def amount_of(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-get_currency_precision(currency))
