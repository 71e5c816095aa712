"""Weekly reports as pure functions: weeks, the reminder calendar, the draft's steps and the
checks on what a student types or sends."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.files import KINDS
from bot.domain.numbers import NotANumber, parse_decimal, parse_int
from bot.domain.time import WEEKDAYS, local_today, weekday


class Dimension(StrEnum):
    """The three capability dimensions; the same identifiers in exports, settings and code."""

    TECH_RD = "tech_rd"
    CROSS_CULTURAL = "cross_cultural"
    RULE_ADAPTATION = "rule_adaptation"


DIMENSIONS: tuple[Dimension, ...] = tuple(Dimension)
COMPLIANCE = ("data_protection", "child_privacy", "copyright", "local_standards")

# The guided conversation, in order. "review" is where every finished draft ends.
STEPS = (
    "week",
    "activities",
    "hours",
    "episode",
    "rules",
    "problems",
    "self",
    "attachments",
    "review",
)
TEXT_STEPS = ("activities", "episode", "problems")
MAX_TEXT = {"activities": 3000, "episode": 2000, "problems": 2000, "rules_note": 1000}
MIN_ACTIVITIES = 20
MAX_HOURS = 80
MAX_ATTACHMENTS = 5
MAX_FILE_BYTES = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = frozenset(KINDS)  # their declared types and content: bot.domain.files
MAX_COMMENT = 1000


def week_of(day: dt.date) -> dt.date:
    """The Monday that starts the ISO week of `day`; weeks are identified by their Monday."""
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    """`2026-W45`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeeklyMoment:
    """A weekday and a time of day, `offset` weeks after the report's own week."""

    weekday: int
    time: dt.time
    offset: int = 0

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.time.strftime('%H:%M')}"

    def on(self, monday: dt.date, zone: str) -> dt.datetime:
        return _moment_on(self, monday, zone)


# A cohort's participation asks for the same few dozen weeks' moments in the same few zones
# for every student (520,000 times for 10,000 students); each costs a zone lookup and a
# conversion.
@functools.lru_cache(maxsize=8192)
def _moment_on(moment: WeeklyMoment, monday: dt.date, zone: str) -> dt.datetime:
    day = monday + dt.timedelta(days=7 * moment.offset + moment.weekday)
    return dt.datetime.combine(day, moment.time, ZoneInfo(zone)).astimezone(dt.UTC)


def parse_moment(text: str, offset: int = 0) -> WeeklyMoment:
    """`fri 17:00`; ValueError with the reason."""
    match = re.fullmatch(r"\s*([a-z]{3})\s+(\d{1,2}):(\d{2})\s*", text.lower())
    index = weekday(match.group(1)) if match else None
    if not match or index is None:
        raise ValueError(f"expected a weekday and a time, e.g. 'fri 17:00', got {text!r}")
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day: {text!r}")
    return WeeklyMoment(index, dt.time(hour, minute), offset)


@dataclass(frozen=True)
class ReportCalendar:
    """When a week's report is asked for, reminded again, and due (the deadline falls in the
    following week)."""

    reminder: WeeklyMoment
    second_reminder: WeeklyMoment
    deadline: WeeklyMoment

    @classmethod
    def parse(cls, reminder: str, second_reminder: str, deadline: str) -> ReportCalendar:
        calendar = cls(
            parse_moment(reminder), parse_moment(second_reminder, 1), parse_moment(deadline, 1)
        )
        monday = dt.date(2026, 1, 5)
        first, second, due = (
            calendar.reminder.on(monday, "UTC"),
            calendar.second_reminder.on(monday, "UTC"),
            calendar.deadline.on(monday, "UTC"),
        )
        if not first < second < due:
            raise ValueError(
                "the reminder, the second reminder (next week) and the deadline (next week) "
                "must come in that order"
            )
        return calendar


DEFAULT_CALENDAR = ReportCalendar.parse("fri 17:00", "mon 09:00", "mon 12:00")


def expected_weeks(start: dt.date, end: dt.date, until: dt.date) -> list[dt.date]:
    """The weeks a placement from `start` to `end` (inclusive) expects a report for, up to the
    week of `until`: every week whose Monday-to-Friday overlaps the stay."""
    weeks = []
    monday = week_of(start)
    if start > monday + dt.timedelta(days=4):
        monday += dt.timedelta(days=7)
    while monday <= min(week_of(end), week_of(until)):
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


class CalendarPolicy(Protocol):
    """The consortium file's reminder moments, as the report policy stores them."""

    @property
    def reminder(self) -> str: ...
    @property
    def second_reminder(self) -> str: ...
    @property
    def deadline(self) -> str: ...


def calendar_of(policy: CalendarPolicy | None) -> ReportCalendar:
    """The reminder calendar a report policy sets, or the default one without a policy."""
    if policy is None:
        return DEFAULT_CALENDAR
    return ReportCalendar.parse(policy.reminder, policy.second_reminder, policy.deadline)


class Stay(Protocol):
    """A placement's dates."""

    @property
    def start_date(self) -> dt.date: ...
    @property
    def end_date(self) -> dt.date: ...


class Handed(Protocol):
    """What counting asks of a report: its week, when it was submitted, whether late."""

    @property
    def week(self) -> dt.date: ...
    @property
    def submitted_at(self) -> dt.datetime | None: ...
    @property
    def late(self) -> bool: ...


@dataclass(frozen=True)
class WeeksReported:
    expected: int  # weeks whose deadline has passed
    submitted: int  # reports submitted for them
    late: int  # of those, late


def weeks_reported(
    stays: Iterable[Stay],
    joined: dt.datetime | None,
    zone: str,
    reports: Iterable[Handed],
    calendar: ReportCalendar,
    now: dt.datetime,
    since: dt.datetime | None = None,
) -> WeeksReported:
    """A student's weeks whose deadline (in their `zone`) has passed since they joined (and
    since `since`), and the reports submitted for them."""
    today = local_today(now, zone)
    start = max((m for m in (joined, since) if m is not None), default=None)
    weeks = set()
    for stay in stays:
        for week in expected_weeks(stay.start_date, stay.end_date, today):
            deadline = calendar.deadline.on(week, zone)
            if deadline <= now and (start is None or deadline >= start):
                weeks.add(week)
    done = [r for r in reports if r.week in weeks and r.submitted_at is not None]
    return WeeksReported(len(weeks), len(done), sum(1 for r in done if r.late))


class Stage(StrEnum):
    """Where a week stands for a student who has not submitted its report."""

    REMIND = "remind"
    REMIND_AGAIN = "remind_again"
    OVERDUE = "overdue"
    MISSING = "missing"


def stages_due(
    monday: dt.date, calendar: ReportCalendar, zone: str, now: dt.datetime
) -> list[Stage]:
    """Every stage of an unsubmitted week that has been reached by `now`, in order. A report
    may still be submitted (late) until the end of the week after its own; then it is missing."""
    return [stage for stage in Stage if now >= stage_moment(stage, monday, calendar, zone)]


def stage_moment(stage: Stage, monday: dt.date, calendar: ReportCalendar, zone: str) -> dt.datetime:
    """When a week reaches a stage."""
    if stage is Stage.REMIND:
        return calendar.reminder.on(monday, zone)
    if stage is Stage.REMIND_AGAIN:
        return calendar.second_reminder.on(monday, zone)
    if stage is Stage.OVERDUE:
        return calendar.deadline.on(monday, zone)
    return closes_at(monday, zone)


def closes_at(monday: dt.date, zone: str) -> dt.datetime:
    """After this moment a week's report can no longer be submitted: it is missing."""
    return dt.datetime.combine(
        monday + dt.timedelta(days=14), dt.time(), ZoneInfo(zone)
    ).astimezone(dt.UTC)


def open_weeks(
    today: dt.date, expected: Iterable[dt.date], submitted: Iterable[dt.date]
) -> list[dt.date]:
    """The weeks a student may report on today, the late one first: last week and this week,
    each while it is not yet submitted."""
    this_week, last_week = week_of(today), week_of(today) - dt.timedelta(days=7)
    wanted, done = set(expected), set(submitted)
    weeks = []
    if last_week in wanted and last_week not in done:
        weeks.append(last_week)
    if this_week in wanted and this_week not in done:
        weeks.append(this_week)
    return weeks


@dataclass(frozen=True)
class DraftState:
    """What a draft holds, as far as choosing the next step is concerned."""

    week_chosen: bool
    activities: str | None
    hours: float | None
    episode: str | None
    rules_done: bool
    problems: str | None
    self_scores: Sequence[int | None]
    attachments_done: bool


def next_step(draft: DraftState) -> str:
    """The first step the draft still needs; "review" when it is complete."""
    filled = {
        "week": draft.week_chosen,
        "activities": draft.activities is not None,
        "hours": draft.hours is not None,
        "episode": draft.episode is not None,
        "rules": draft.rules_done,
        "problems": draft.problems is not None,
        "self": all(score is not None for score in draft.self_scores),
        "attachments": draft.attachments_done,
    }
    return next((step for step in STEPS[:-1] if not filled[step]), "review")


class InputProblem(ValueError):
    """Input a step cannot take; `code` picks the message, `limit` fills it in."""

    def __init__(self, code: str, limit: float | int | None = None) -> None:
        super().__init__(code)
        self.code, self.limit = code, limit


def checked_text(text: str, limit: int, minimum: int = 0) -> str:
    """A person's text, stripped: not empty, at most `limit` and at least `minimum` long."""
    value = text.strip()
    if not value:
        raise InputProblem("empty")
    if len(value) > limit:
        raise InputProblem("too_long", limit)
    if len(value) < minimum:
        raise InputProblem("too_short", minimum)
    return value


def check_text(step: str, text: str) -> str:
    return checked_text(text, MAX_TEXT[step], MIN_ACTIVITIES if step == "activities" else 0)


def parse_hours(text: str) -> float:
    """`38`, `37.5`, `37,5 h`: hours worked this week, 0 to 80, in half hours."""
    number = re.sub(r"\s*(?:h|hours?|小时)\s*$", "", text.lower())
    hours = parse_decimal(number, Decimal(0), Decimal(MAX_HOURS), places=2)
    if isinstance(hours, NotANumber):
        problem = "too_many_hours" if hours.reason == "out_of_range" else "not_hours"
        raise InputProblem(problem, MAX_HOURS)
    return round(float(hours) * 2) / 2


def parse_score(text: str) -> int:
    """A mentor's score: a whole number from 0 to 100."""
    value = parse_int(text, 0, 100)
    if isinstance(value, NotANumber):
        raise InputProblem("not_score")
    return value


def check_attachment(name: str | None, size: int | None, count_before: int) -> None:
    """A photo (no name) or a document may join a draft: its count, size and type."""
    if count_before >= MAX_ATTACHMENTS:
        raise InputProblem("too_many_files", MAX_ATTACHMENTS)
    if size is not None and size > MAX_FILE_BYTES:
        raise InputProblem("file_too_big", MAX_FILE_BYTES // (1024 * 1024))
    if name is not None:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension not in ALLOWED_EXTENSIONS:
            raise InputProblem("file_type")


def is_late(
    submitted_at: dt.datetime, monday: dt.date, calendar: ReportCalendar, zone: str
) -> bool:
    return submitted_at > calendar.deadline.on(monday, zone)


class Scorable(Protocol):
    """What a mentor scores: a weekly report's or a topic report's assessment."""

    id: int
    tech_rd: float | None  # a mentor's are whole; imported ones may have two decimals
    cross_cultural: float | None
    rule_adaptation: float | None
    comment: str | None
