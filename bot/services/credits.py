"""Credits from every kind of practice: months abroad, hours of enterprise training and
accepted research report cycles, per student, and the lines of a credit transcript."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain import numbers
from bot.domain.credits import (
    MAX_TRAINING_MINUTES_PER_DAY,
    CreditRules,
    Credits,
    TrainingCredits,
    overseas_credits,
    research_credits,
    training_credits,
    training_day_room,
)
from bot.domain.reports import InputProblem
from bot.domain.time import local_today
from bot.services import courses, rules, scoring
from bot.services.context import ServiceContext
from bot.services.reports import students as placed_students
from db.models import Party, PartyKind, Person, Placement, Role, TrainingRecord
from db.repositories import Repos

MAX_TRAINING_HOURS = Decimal(MAX_TRAINING_MINUTES_PER_DAY // 60)  # one record: one day
MAX_NOTE = 300


def parse_training_hours(text: str) -> int:
    """Hours of a training record (`8`, `7.5`, `7,5h`, `7.5 小时`) as minutes."""
    number = re.sub(r"\s*(?:h|hours?|小时)\s*$", "", text.lower())
    hours = numbers.parse_decimal(number, Decimal("0.01"), MAX_TRAINING_HOURS, places=2)
    if isinstance(hours, numbers.NotANumber):
        raise InputProblem("not_training_hours", int(MAX_TRAINING_HOURS))
    return int((hours * 60).to_integral_value())


def parse_training_day(text: str, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputProblem("not_date") from None
    if day > today:
        raise InputProblem("date_future")
    if day < today - dt.timedelta(days=366):
        raise InputProblem("date_old")
    return day


@dataclass
class TrainingAdded:
    reason: str  # "added", "not_enterprise", "not_student", "day_full"
    record: TrainingRecord | None = None
    party: Party | None = None
    student: Person | None = None
    total: TrainingCredits | None = None
    recorded_that_day: int = 0  # minutes, before this record ("day_full": what is there)


async def add_training(
    repos: Repos,
    person: Person,
    student: Person | None,
    minutes: int,
    day: dt.date,
    note: str | None,
    now: dt.datetime,
) -> TrainingAdded:
    """An enterprise's contact or mentor records a student's hours of training there."""
    enterprise = None
    for membership in await repos.memberships.of_person(person.id):
        party = await repos.parties.by_id(membership.party_id)
        if (
            party is not None
            and party.kind is PartyKind.ENTERPRISE
            and membership.role in (Role.CONTACT, Role.MENTOR)
        ):
            enterprise = party
            break
    if enterprise is None:
        return TrainingAdded("not_enterprise")
    if student is None or not any(
        m.role is Role.STUDENT for m in await repos.memberships.of_person(student.id)
    ):
        return TrainingAdded("not_student")
    if note is not None and len(note) > MAX_NOTE:
        raise InputProblem("too_long", MAX_NOTE)
    records = await repos.training.of_student(student.id)
    that_day = sum(r.minutes for r in records if r.day == day)
    if minutes > training_day_room(that_day):
        return TrainingAdded("day_full", None, enterprise, student, recorded_that_day=that_day)
    record = await repos.training.add(
        TrainingRecord(
            student_id=student.id,
            party_id=enterprise.id,
            day=day,
            minutes=minutes,
            note=note or None,
            recorded_by_id=person.id,
            recorded_at=now,
        )
    )
    credit_rules = await rules.credits(repos)
    minutes_total = sum(r.minutes for r in await repos.training.of_student(student.id))
    return TrainingAdded(
        "added",
        record,
        enterprise,
        student,
        training_credits(minutes_total, credit_rules),
        that_day,
    )


@dataclass
class StudentCredits:
    """A student's credits by source, with what each was earned for."""

    student: Person
    rules: CreditRules
    placements: list[tuple[Placement, Party | None, Credits]] = field(default_factory=list)
    training: list[tuple[TrainingRecord, Party | None]] = field(default_factory=list)
    training_total: TrainingCredits | None = None
    research: list[scoring.ResearchCycle] = field(default_factory=list)
    courses: list[courses.CourseCredits] = field(default_factory=list)

    @property
    def courses_earned(self) -> Decimal:
        """Credits for attended hours of the modules the file gives credits to."""
        return sum((c.credits for c in self.courses), Decimal(0))

    @property
    def overseas(self) -> Decimal:
        return sum((c.earned for _, _, c in self.placements), Decimal(0))

    @property
    def overseas_planned(self) -> Decimal:
        return sum((c.planned for _, _, c in self.placements), Decimal(0))

    @property
    def training_earned(self) -> Decimal:
        return self.training_total.earned if self.training_total else Decimal(0)

    @property
    def research_earned(self) -> Decimal:
        return research_credits(len(self.research), self.rules)

    @property
    def total(self) -> Decimal:
        return self.overseas + self.training_earned + self.research_earned + self.courses_earned


async def of_student(
    repos: Repos, student: Person, now: dt.datetime, default_zone: str
) -> StudentCredits:
    (found,) = await of_students(repos, [student], now, default_zone)
    return found


async def of_students(
    repos: Repos, students: Sequence[Person], now: dt.datetime, default_zone: str
) -> list[StudentCredits]:
    """Each student's credits; the rules and the parties are read once for all of them."""
    credit_rules = await rules.credits(repos)
    parties = {p.id: p for p in await repos.parties.all()}
    ctx = ServiceContext(repos, now, default_zone)
    everyone = []
    for student in students:
        found = StudentCredits(student, credit_rules)
        info = (await placed_students(repos, default_zone, only=student.id)).get(student.id)
        if info is not None:
            today = local_today(now, info.zone)
            for placement in info.placements:
                earned = overseas_credits(
                    placement.start_date,
                    placement.end_date,
                    today,
                    credit_rules.overseas_per_month,
                )
                found.placements.append((placement, parties.get(placement.site_id), earned))
        records = list(await repos.training.of_student(student.id))
        found.training = [(r, parties.get(r.party_id)) for r in records]
        found.training_total = training_credits(sum(r.minutes for r in records), credit_rules)
        found.research = await scoring.accepted_cycles(ctx, student)
        found.courses = await courses.credits_of(repos, student.id)
        everyone.append(found)
    return everyone


async def students_with_credits(repos: Repos, default_zone: str) -> list[Person]:
    """Every student who has a placement, training hours, a topic or an attended course
    session, by name."""
    people: dict[int, Person] = {
        pid: info.person for pid, info in (await placed_students(repos, default_zone)).items()
    }
    practised = await repos.training.student_ids() | await repos.topics.member_ids()
    practised |= {person_id for person_id, _ in await repos.courses.attended()}
    for person in await repos.memberships.people_with_role(Role.STUDENT):
        if person.id not in people and person.id in practised:
            people[person.id] = person
    return sorted(people.values(), key=lambda p: (p.name or "", p.telegram_id))
