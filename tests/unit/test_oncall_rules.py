"""On-call rules worked out by hand: rotations across daylight saving, overrides, escalation
steps and quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.oncall import (
    Handoff,
    Notify,
    Override,
    Period,
    QuietHours,
    Rotation,
    Step,
    median,
    next_handoff,
    next_in_rotation,
    on_call,
    parse_handoff,
    parse_quiet,
    quiet_until,
    rotation_person,
    step_due,
)
from bot.domain.time import format_duration, parse_duration

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# Berlin: CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2).
BERLIN = Rotation(
    members=(1, 2, 3),
    handoff=Handoff(dt.time(9, 0), weekday=0),
    period=Period.WEEKLY,
    timezone="Europe/Berlin",
    starts_on=dt.date(2026, 3, 16),  # a Monday: member 1's first week
)


@pytest.mark.parametrize(
    ("when", "person"),
    [
        (at(2026, 3, 16, 8, 0), 1),  # Mon 09:00 CET: the first hand-off
        (at(2026, 3, 16, 7, 59), 3),  # a minute before: the week before (wraps round)
        (at(2026, 3, 23, 7, 59), 1),  # Mon 08:59 CET
        (at(2026, 3, 23, 8, 0), 2),  # Mon 09:00 CET
        (at(2026, 3, 30, 6, 59), 2),  # Mon 08:59 CEST, after the change to summer time
        (at(2026, 3, 30, 7, 0), 3),  # Mon 09:00 CEST: still 09:00 local
        (at(2026, 4, 6, 7, 0), 1),
    ],
)
def test_weekly_rotation_keeps_local_time_across_dst(when: dt.datetime, person: int) -> None:
    assert rotation_person(BERLIN, when) == person


def test_next_handoff_follows_the_local_clock() -> None:
    assert next_handoff(BERLIN, at(2026, 3, 25, 12, 0)) == at(2026, 3, 30, 7, 0)
    assert next_handoff(BERLIN, at(2026, 3, 30, 7, 0)) == at(2026, 4, 6, 7, 0)


def test_daily_rotation_and_a_spring_forward_gap() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29: the hand-off moves to 03:30 local.
    rotation = Rotation(
        (1, 2), Handoff(dt.time(2, 30)), Period.DAILY, "Europe/Berlin", dt.date(2026, 3, 27)
    )
    assert rotation_person(rotation, at(2026, 3, 28, 12, 0)) == 2
    assert next_handoff(rotation, at(2026, 3, 28, 12, 0)) == at(2026, 3, 29, 1, 30)
    assert rotation_person(rotation, at(2026, 3, 29, 1, 30)) == 1


def test_overrides_cover_and_the_latest_wins() -> None:
    first = Override(7, at(2026, 3, 24, 8), at(2026, 3, 26, 17), created_at=at(2026, 3, 1))
    later = Override(8, at(2026, 3, 25, 8), at(2026, 3, 25, 12), created_at=at(2026, 3, 2))
    now = on_call(BERLIN, [first, later], at(2026, 3, 25, 9))
    assert (now.person, now.by_override) == (8, True)
    assert now.next_change_at == at(2026, 3, 25, 12) and now.next_person == 7
    after = on_call(BERLIN, [first, later], at(2026, 3, 26, 18))
    assert (after.person, after.by_override) == (2, False)
    before = on_call(BERLIN, [first], at(2026, 3, 23, 12))
    assert before.next_change_at == at(2026, 3, 24, 8) and before.next_person == 7


def test_next_in_rotation() -> None:
    assert next_in_rotation(BERLIN, 1) == 2
    assert next_in_rotation(BERLIN, 3) == 1
    assert next_in_rotation(BERLIN, 99) == 1
    solo = Rotation((5,), BERLIN.handoff, BERLIN.period, BERLIN.timezone, BERLIN.starts_on)
    assert next_in_rotation(solo, 5) is None


def test_escalation_steps_repeat_until_acknowledged() -> None:
    steps = [
        Step(dt.timedelta(minutes=30), Notify.NEXT),
        Step(dt.timedelta(hours=2), Notify.COORDINATORS),
    ]
    base = at(2026, 3, 2, 9)
    due = [step_due(steps, base, i) for i in range(5)]
    assert [(s.notify, t - base) for s, t in due] == [
        (Notify.NEXT, dt.timedelta(minutes=30)),
        (Notify.COORDINATORS, dt.timedelta(hours=2)),
        (Notify.NEXT, dt.timedelta(hours=2, minutes=30)),
        (Notify.COORDINATORS, dt.timedelta(hours=4)),
        (Notify.NEXT, dt.timedelta(hours=4, minutes=30)),
    ]


@pytest.mark.parametrize(
    ("when", "until"),
    [
        (at(2026, 11, 2, 15, 0), at(2026, 11, 3, 0, 0)),  # 23:00 Shanghai -> 08:00 next day
        (at(2026, 11, 2, 19, 0), at(2026, 11, 3, 0, 0)),  # 03:00 Shanghai -> 08:00 same day
        (at(2026, 11, 2, 0, 0), None),  # 08:00 Shanghai: the day has begun
        (at(2026, 11, 2, 13, 59), None),  # 21:59
        (at(2026, 11, 2, 14, 0), at(2026, 11, 3, 0, 0)),  # 22:00
    ],
)
def test_quiet_hours_across_midnight(when: dt.datetime, until: dt.datetime | None) -> None:
    assert quiet_until(QuietHours(dt.time(22), dt.time(8)), "Asia/Shanghai", when) == until


def test_quiet_hours_within_a_day() -> None:
    lunch = QuietHours(dt.time(12), dt.time(13, 30))
    assert quiet_until(lunch, "UTC", at(2026, 1, 5, 12, 10)) == at(2026, 1, 5, 13, 30)
    assert quiet_until(lunch, "UTC", at(2026, 1, 5, 13, 30)) is None


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [
        ("mon 09:00", Period.WEEKLY, Handoff(dt.time(9), 0)),
        ("SUN 18:30", Period.WEEKLY, Handoff(dt.time(18, 30), 6)),
        ("07:15", Period.DAILY, Handoff(dt.time(7, 15))),
    ],
)
def test_parse_handoff(text: str, period: Period, expected: Handoff) -> None:
    assert parse_handoff(text, period) == expected


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("09:00", Period.WEEKLY),
        ("mon 24:00", Period.WEEKLY),
        ("funday 09:00", Period.WEEKLY),
        ("noon", Period.DAILY),
    ],
)
def test_bad_handoffs(text: str, period: Period) -> None:
    with pytest.raises(ValueError):
        parse_handoff(text, period)


def test_durations_and_quiet_windows() -> None:
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    assert parse_duration("1h30m") == dt.timedelta(minutes=90)
    assert parse_duration("2d") == dt.timedelta(days=2)
    assert format_duration(dt.timedelta(minutes=90)) == "1h30m"
    assert format_duration(dt.timedelta(0)) == "0s"
    for bad in ("", "soon", "0m", "30x", "5 minutes"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert str(parse_quiet("22:00-08:00")) == "22:00-08:00"
    for bad in ("22-08", "25:00-08:00", "08:00-08:00"):
        with pytest.raises(ValueError):
            parse_quiet(bad)


def test_median() -> None:
    assert median([]) is None
    assert median([5.0]) == 5.0
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
