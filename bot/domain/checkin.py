"""Monthly check-in rules as pure functions: the schedule, participation and absences."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.numbers import NotANumber, parse_int
from bot.domain.time import WEEKDAYS, format_duration, parse_duration, weekday

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
OPTION_KEYS = ("on_track", "minor_issues", "blocked", "need_meeting")
# How long a check-in stays open. At least an hour, for people to see the poll at all; at
# most two weeks, so that it closes (and its summary goes out) well before the next month's
# opens (check-ins are at least 28 days apart).
MIN_OPEN_FOR = dt.timedelta(hours=1)
MAX_OPEN_FOR = dt.timedelta(days=14)
OPEN_FOR = dt.timedelta(hours=72)  # without a policy, or one that does not say


def parse_open_for(text: str) -> dt.timedelta:
    """How long a check-in stays open (`72h`, `3d`), within the bounds; ValueError otherwise."""
    period = parse_duration(text)
    if not MIN_OPEN_FOR <= period <= MAX_OPEN_FOR:
        raise ValueError(
            f"a check-in stays open from {format_duration(MIN_OPEN_FOR)} "
            f"to {format_duration(MAX_OPEN_FOR)}, not {text}"
        )
    return period


@dataclass(frozen=True)
class Schedule:
    """Monthly: the nth weekday (`nth` 1-4, or -1 for the last) or a day of the month."""

    time: dt.time
    nth: int | None = None
    weekday: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        clock = self.time.strftime("%H:%M")
        if self.day is not None:
            return f"{self.day} {clock}"
        assert self.nth is not None and self.weekday is not None
        ordinal = next(name for name, n in ORDINALS.items() if n == self.nth)
        return f"{ordinal} {WEEKDAYS[self.weekday]} {clock}"


class ScheduleError(ValueError):
    """A schedule that cannot be read: `reason` (one of SCHEDULE_PROBLEMS) and the word at
    fault, for a message in the reader's language; the text is the English one (files, CLI)."""

    def __init__(self, reason: str, word: str, text: str) -> None:
        super().__init__(text)
        self.reason, self.word = reason, word


SCHEDULE_PROBLEMS = ("shape", "time", "day", "ordinal", "weekday")


def parse_schedule(text: str) -> Schedule:
    """`first mon 10:00`, `last fri 16:30` or `15 10:00`; ScheduleError with the reason."""
    words = text.lower().split()
    if len(words) not in (2, 3):
        raise ScheduleError(
            "shape", text, f"expected e.g. 'first mon 10:00' or '15 10:00', got {text!r}"
        )
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", words[-1])
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError("time", words[-1], f"no such time of day: {words[-1]!r}")
    at = dt.time(int(match.group(1)), int(match.group(2)))
    if len(words) == 2:
        day = parse_int(words[0], 1, 28)
        if isinstance(day, NotANumber):
            raise ScheduleError(
                "day", words[0], "a day of the month must be 1-28 (every month has it)"
            )
        return Schedule(at, day=day)
    if words[0] not in ORDINALS:
        raise ScheduleError(
            "ordinal", words[0], f"expected first, second, third, fourth or last, got {words[0]!r}"
        )
    index = weekday(words[1])
    if index is None:
        raise ScheduleError(
            "weekday", words[1], f"unknown weekday {words[1]!r} (mon, tue, ... sun)"
        )
    return Schedule(at, nth=ORDINALS[words[0]], weekday=index)


def _nominal_day(schedule: Schedule, year: int, month: int) -> dt.date:
    if schedule.day is not None:
        return dt.date(year, month, schedule.day)
    assert schedule.nth is not None and schedule.weekday is not None
    if schedule.nth > 0:
        first = dt.date(year, month, 1)
        offset = (schedule.weekday - first.weekday()) % 7
        return first + dt.timedelta(days=offset + 7 * (schedule.nth - 1))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last = following - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - schedule.weekday) % 7)


def working_day(
    day: dt.date, holidays: Collection[dt.date], workdays: Collection[dt.date] = ()
) -> dt.date:
    """The day itself, or the next day that is neither a weekend nor a holiday. `workdays`
    are weekend days worked to make up for a holiday (China's 调休, such as Saturday
    14 February 2026 before the Spring Festival): working days like any other."""
    while (day.weekday() >= 5 and day not in workdays) or day in holidays:
        day += dt.timedelta(days=1)
    return day


def occurrence(
    schedule: Schedule,
    year: int,
    month: int,
    holidays: Collection[dt.date],
    workdays: Collection[dt.date] = (),
) -> dt.date:
    """The check-in's date in a month, moved to the next working day when needed."""
    return working_day(_nominal_day(schedule, year, month), holidays, workdays)


def next_checkin(
    schedule: Schedule,
    timezone: str,
    after: dt.datetime,
    holidays: Collection[dt.date],
    workdays: Collection[dt.date] = (),
) -> tuple[dt.date, dt.datetime]:
    """The next check-in strictly after `after`: its local date and its UTC start."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    year, month = local.year, local.month
    for _ in range(24):
        day = occurrence(schedule, year, month, holidays, workdays)
        start = dt.datetime.combine(day, schedule.time, tzinfo=zone).astimezone(dt.UTC)
        if start > after:
            return day, start
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError("no check-in within two years")  # pragma: no cover - holidays everywhere


def moved_from(
    schedule: Schedule,
    day: dt.date,
    holidays: Collection[dt.date],
    workdays: Collection[dt.date] = (),
) -> dt.date | None:
    """The date the schedule names, when the check-in on `day` was moved from it (past a
    weekend or holidays, possibly into the next month); None when it was not moved."""
    previous = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    for year, month in ((day.year, day.month), previous):
        nominal = _nominal_day(schedule, year, month)
        if nominal != day and working_day(nominal, holidays, workdays) == day:
            return nominal
    return None


def skipped_days(nominal: dt.date, day: dt.date) -> list[dt.date]:
    """The days a moved check-in passed over: from the scheduled one up to (not) `day`."""
    return [nominal + dt.timedelta(days=n) for n in range((day - nominal).days)]


def years_around(day: dt.date) -> range:
    """The years whose holidays can move a check-in looked up on `day`: the next one is
    found within two years, and the last one may still be open."""
    return range(day.year - 1, day.year + 3)


@dataclass(frozen=True)
class PartyTurnout:
    party_key: str
    voters: tuple[str, ...]  # names of the party's people who answered

    @property
    def answered(self) -> bool:
        return bool(self.voters)


def turnout(party_keys: Sequence[str], votes: Mapping[str, Iterable[str]]) -> list[PartyTurnout]:
    """Participation per party, from who voted (party key -> voter names)."""
    return [PartyTurnout(key, tuple(sorted(set(votes.get(key, ()))))) for key in party_keys]


def absent_twice(
    previous: Sequence[PartyTurnout] | None, current: Sequence[PartyTurnout]
) -> list[str]:
    """Parties that did not answer this check-in nor the one before it."""
    if previous is None:
        return []
    missed_before = {p.party_key for p in previous if not p.answered}
    return [p.party_key for p in current if not p.answered and p.party_key in missed_before]
