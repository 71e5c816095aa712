"""On-call rules as pure functions: rotations, overrides, escalation steps, quiet hours.

Times are aware datetimes in UTC; each rule works in the local time of its party or person,
so a weekly hand-off at "mon 09:00" stays at 09:00 local across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.time import WEEKDAYS, weekday


class Period(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class Notify(StrEnum):
    NEXT = "next"  # the next contact in the rotation after the one on call
    COORDINATORS = "coordinators"


@dataclass(frozen=True)
class Handoff:
    """When the shift changes: a time of day, and for weekly rotations a weekday (0 = Monday)."""

    time: dt.time
    weekday: int | None = None

    def __str__(self) -> str:
        clock = self.time.strftime("%H:%M")
        return clock if self.weekday is None else f"{WEEKDAYS[self.weekday]} {clock}"


def parse_handoff(text: str, period: Period) -> Handoff:
    """`"mon 09:00"` (weekly) or `"09:00"` (daily); ValueError with the reason otherwise."""
    match = re.fullmatch(r"\s*(?:([a-z]{3})\s+)?(\d{1,2}):(\d{2})\s*", text.lower())
    if not match:
        raise ValueError(f"expected 'mon 09:00' or '09:00', got {text!r}")
    day, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"no such time of day: {text!r}")
    index = None if day is None else weekday(day)
    if day is not None and index is None:
        raise ValueError(f"unknown weekday {day!r} (mon, tue, ... sun)")
    if period is Period.WEEKLY and day is None:
        raise ValueError("a weekly hand-off needs a weekday, e.g. 'mon 09:00'")
    return Handoff(dt.time(hour, minute), index)


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start.strftime('%H:%M')}-{self.end.strftime('%H:%M')}"


def parse_quiet(text: str) -> QuietHours:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"expected quiet hours such as '22:00-08:00', got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if max(h1, h2) > 23 or max(m1, m2) > 59 or (h1, m1) == (h2, m2):
        raise ValueError(f"not a time window: {text!r}")
    return QuietHours(dt.time(h1, m1), dt.time(h2, m2))


DEFAULT_QUIET = QuietHours(dt.time(22, 0), dt.time(8, 0))


@dataclass(frozen=True)
class Step:
    after: dt.timedelta  # since delivery to the first contact
    notify: Notify


DEFAULT_STEPS = (
    Step(dt.timedelta(minutes=30), Notify.NEXT),
    Step(dt.timedelta(hours=2), Notify.COORDINATORS),
)


@dataclass(frozen=True)
class Rotation:
    members: tuple[int, ...]  # person ids, in order
    handoff: Handoff
    period: Period
    timezone: str
    starts_on: dt.date  # the local date of the first hand-off, where members[0] began


@dataclass(frozen=True)
class Override:
    person: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_at: dt.datetime


@dataclass(frozen=True)
class OnCall:
    person: int | None
    next_person: int | None
    next_change_at: dt.datetime | None
    by_override: bool = False


def _local_at(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """`day` at `at` local time, in UTC; a wall time skipped by DST moves forward an hour."""
    local = dt.datetime.combine(day, at, tzinfo=zone)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        utc = (local + dt.timedelta(hours=1)).astimezone(dt.UTC)  # in a spring-forward gap
    return utc


def shift_start(rotation: Rotation, when: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The local date and UTC instant of the hand-off that began the shift covering `when`."""
    zone = ZoneInfo(rotation.timezone)
    day = when.astimezone(zone).date()
    if rotation.period is Period.WEEKLY:
        assert rotation.handoff.weekday is not None
        day -= dt.timedelta(days=(day.weekday() - rotation.handoff.weekday) % 7)
        step = dt.timedelta(days=7)
    else:
        step = dt.timedelta(days=1)
    start = _local_at(day, rotation.handoff.time, zone)
    if start > when:
        day -= step
        start = _local_at(day, rotation.handoff.time, zone)
    return day, start


def _shift_length_days(rotation: Rotation) -> int:
    return 7 if rotation.period is Period.WEEKLY else 1


def rotation_person(rotation: Rotation, when: dt.datetime) -> int | None:
    """Who the rotation puts on call at `when` (overrides aside)."""
    if not rotation.members:
        return None
    day, _ = shift_start(rotation, when)
    shifts = (day - rotation.starts_on).days // _shift_length_days(rotation)
    return rotation.members[shifts % len(rotation.members)]


def next_handoff(rotation: Rotation, when: dt.datetime) -> dt.datetime:
    zone = ZoneInfo(rotation.timezone)
    day, _ = shift_start(rotation, when)
    return _local_at(
        day + dt.timedelta(days=_shift_length_days(rotation)), rotation.handoff.time, zone
    )


def active_override(overrides: Sequence[Override], when: dt.datetime) -> Override | None:
    """The override covering `when`; the most recently made one wins."""
    covering = [o for o in overrides if o.starts_at <= when < o.ends_at]
    return max(covering, key=lambda o: o.created_at, default=None)


def on_call(rotation: Rotation, overrides: Sequence[Override], when: dt.datetime) -> OnCall:
    """Who is on call now, who comes next and when that changes."""
    override = active_override(overrides, when)
    handoff = next_handoff(rotation, when) if rotation.members else None
    candidates = [t for t in (handoff,) if t is not None]
    if override is not None:
        candidates.append(override.ends_at)
    candidates += [o.starts_at for o in overrides if when < o.starts_at]
    change = min(candidates, default=None)
    person = override.person if override else rotation_person(rotation, when)
    following = None
    if change is not None:
        later = active_override(overrides, change)
        following = later.person if later else rotation_person(rotation, change)
    return OnCall(person, following, change, by_override=override is not None)


def next_in_rotation(rotation: Rotation, person: int | None) -> int | None:
    """The member after `person` in the rotation (the first one if `person` is not in it)."""
    if not rotation.members:
        return None
    if person not in rotation.members:
        return rotation.members[0]
    index = rotation.members.index(person)
    following = rotation.members[(index + 1) % len(rotation.members)]
    return None if following == person else following


def step_due(steps: Sequence[Step], base: dt.datetime, index: int) -> tuple[Step, dt.datetime]:
    """The `index`-th escalation (counting on past the last step: the steps repeat, each round
    starting where the last step of the previous round was)."""
    if not steps:
        raise ValueError("no escalation steps")
    rounds, position = divmod(index, len(steps))
    step = steps[position]
    return step, base + rounds * steps[-1].after + step.after


def quiet_until(quiet: QuietHours, timezone: str, when: dt.datetime) -> dt.datetime | None:
    """If `when` falls in the quiet hours of `timezone`, when they end (UTC); else None."""
    zone = ZoneInfo(timezone)
    local = when.astimezone(zone)
    now = local.time()
    if quiet.start < quiet.end:
        inside = quiet.start <= now < quiet.end
        end_day = local.date()
    else:  # across midnight, e.g. 22:00-08:00
        inside = now >= quiet.start or now < quiet.end
        end_day = local.date() + dt.timedelta(days=1 if now >= quiet.start else 0)
    return _local_at(end_day, quiet.end, zone) if inside else None


def median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Shift:
    """A stretch of duty: one person from `starts_at` to `ends_at`, by an override or not."""

    person: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    by_override: bool


MAX_SHIFTS = 500  # a daily rotation with overrides stays far below this in four weeks


def shifts(
    rotation: Rotation, overrides: Sequence[Override], start: dt.datetime, end: dt.datetime
) -> list[Shift]:
    """Who is on call from `start` to `end`, as consecutive shifts: the rotation's hand-offs
    and the overrides' starts and ends cut it, as `on_call` tells each change (no one on
    call: no shift)."""
    found: list[Shift] = []
    at = start
    while at < end and len(found) < MAX_SHIFTS:
        who = on_call(rotation, overrides, at)
        change = who.next_change_at
        until = min(change, end) if change is not None and change > at else end
        if who.person is not None:
            last = found[-1] if found else None
            if last and (last.person, last.by_override, last.ends_at) == (
                who.person,
                who.by_override,
                at,
            ):
                found[-1] = Shift(who.person, last.starts_at, until, who.by_override)
            else:
                found.append(Shift(who.person, at, until, who.by_override))
        at = until
    return found


def on_day(duty: Sequence[Shift], day: dt.date, zone: str) -> list[Shift]:
    """The shifts that cover some time of `day` in `zone`, in order."""
    start = _local_at(day, dt.time(), ZoneInfo(zone))
    end = _local_at(day + dt.timedelta(days=1), dt.time(), ZoneInfo(zone))
    return [s for s in duty if s.starts_at < end and s.ends_at > start]
