"""Research topics: what a topic needs before it is published, its report cycles, the
team's participation in it, and the credits its cycles earn. No Telegram, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.domain.kinds import PartyKind
from bot.domain.numbers import NotANumber, parse_int
from bot.domain.reports import InputProblem, checked_text
from bot.domain.time import local_today

# The steps of writing a topic, in order, and the longest text each takes.
TOPIC_STEPS = ("title", "summary", "skills", "team_size", "deadline", "confirm")
MAX_TOPIC_TEXT = {"title": 200, "summary": 2000, "skills": 500}
MAX_TEAM = 20
MAX_DEADLINE_DAYS = 366
# The steps of a topic report.
TOPIC_REPORT_STEPS = ("progress", "plans", "contributors", "review")
MAX_REPORT_TEXT = {"progress": 3000, "plans": 2000}
MIN_PROGRESS = 20
MAX_NEED = 1000
# A running topic's team has one mentor of each of these kinds.
MENTOR_KINDS = (PartyKind.UNIVERSITY, PartyKind.ENTERPRISE, PartyKind.RESEARCH)
# Who may attach a need to a topic.
NEED_KINDS = frozenset({PartyKind.ENTERPRISE, PartyKind.OVERSEAS_SITE})
REMIND_BEFORE = dt.timedelta(days=2)  # the team is reminded this long before a report is due
DUE_TIME = dt.time(12, 0)  # a cycle's report is due at noon of the next cycle's first day


@dataclass(frozen=True)
class TopicDraft:
    title: str | None
    summary: str | None
    skills: str | None
    team_size: int | None
    deadline: dt.date | None


def next_topic_step(draft: TopicDraft) -> str:
    for step in TOPIC_STEPS[:-1]:
        if getattr(draft, step) is None:
            return step
    return "confirm"


def check_topic_text(step: str, text: str) -> str:
    value = " ".join(text.split()) if step == "title" else text
    return checked_text(value, MAX_TOPIC_TEXT[step])


def parse_team_size(text: str) -> int:
    value = parse_int(text, 1, MAX_TEAM)
    if isinstance(value, NotANumber):
        raise InputProblem("not_team_size", MAX_TEAM)
    return value


def parse_deadline(text: str, today: dt.date) -> dt.date:
    """The last day to apply: a date from today to a year ahead, as YYYY-MM-DD."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputProblem("not_date") from None
    if day < today:
        raise InputProblem("date_past")
    if day > today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise InputProblem("date_far")
    return day


def check_report_text(step: str, text: str) -> str:
    return checked_text(text, MAX_REPORT_TEXT[step], MIN_PROGRESS if step == "progress" else 0)


def check_need(text: str) -> str:
    return checked_text(text, MAX_NEED)


def is_open_for_applications(deadline: dt.date | None, today: dt.date) -> bool:
    return deadline is None or today <= deadline


# --- cycles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """One report cycle of a running topic: its days (both included) and its due moment."""

    number: int  # 0 is the first
    first_day: dt.date
    last_day: dt.date
    due: dt.datetime  # aware
    remind: dt.datetime  # aware

    def label(self) -> str:
        return f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"


def cycle(started_on: dt.date, days: int, number: int, zone: str) -> Cycle:
    first = started_on + dt.timedelta(days=days * number)
    last = first + dt.timedelta(days=days - 1)
    due = dt.datetime.combine(last + dt.timedelta(days=1), DUE_TIME, ZoneInfo(zone))
    return Cycle(number, first, last, due, due - REMIND_BEFORE)


def current_cycle(started_on: dt.date, days: int, today: dt.date) -> int:
    """The number of the cycle `today` falls in (negative before the start)."""
    return (today - started_on).days // days


def reportable_cycles(started_on: dt.date, days: int, now: dt.datetime, zone: str) -> list[Cycle]:
    """The cycles a report may be written for now: the current one, and the one before
    while its report is not yet due. The earlier comes first."""
    today = local_today(now, zone)
    number = current_cycle(started_on, days, today)
    found = []
    for n in (number - 1, number):
        if n >= 0:
            c = cycle(started_on, days, n, zone)
            if n == number or now < c.due:
                found.append(c)
    return found


def cycles_due(started_on: dt.date, days: int, now: dt.datetime, zone: str) -> list[Cycle]:
    """The cycles whose report is due by `now`, the first first."""
    today = local_today(now, zone)
    found = []
    for n in range(max(current_cycle(started_on, days, today) + 1, 0)):
        c = cycle(started_on, days, n, zone)
        if c.due <= now:
            found.append(c)
    return found


def participation(
    members: Sequence[int], contributions: Mapping[int, Sequence[int]], due: int
) -> Fraction:
    """The team's participation rate in a topic: for each member, the share of the cycles
    due in which they took part in the team's report, averaged over the members (0 to 1).
    `contributions` maps each cycle to the members who took part in it."""
    if not members or due <= 0:
        return Fraction(0)
    counted = {n: set(who) for n, who in contributions.items() if 0 <= n < due}
    per_member = [
        Fraction(sum(1 for who in counted.values() if member in who), due) for member in members
    ]
    return sum(per_member, Fraction(0)) / len(members)
