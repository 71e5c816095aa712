"""Check-in rules worked out by hand: schedules, working days, turnout, absences."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.checkin import (
    PartyTurnout,
    Schedule,
    absent_twice,
    next_checkin,
    occurrence,
    parse_schedule,
    turnout,
    working_day,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first mon 10:00", Schedule(dt.time(10), nth=1, weekday=0)),
        ("LAST fri 16:30", Schedule(dt.time(16, 30), nth=-1, weekday=4)),
        ("third wed 09:00", Schedule(dt.time(9), nth=3, weekday=2)),
        ("15 09:30", Schedule(dt.time(9, 30), day=15)),
    ],
)
def test_parse_schedule(text: str, expected: Schedule) -> None:
    assert parse_schedule(text) == expected
    assert parse_schedule(str(expected)) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "monthly",
        "first mon",
        "fifth mon 10:00",
        "first xyz 10:00",
        "31 10:00",
        "first mon 25:00",
    ],
)
def test_bad_schedules(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(bad)


def test_occurrences_in_a_month() -> None:
    first_monday = parse_schedule("first mon 10:00")
    assert occurrence(first_monday, 2026, 11, set()) == dt.date(2026, 11, 2)
    assert occurrence(first_monday, 2026, 12, set()) == dt.date(2026, 12, 7)
    last_friday = parse_schedule("last fri 16:00")
    assert occurrence(last_friday, 2026, 12, set()) == dt.date(2026, 12, 25)
    assert occurrence(last_friday, 2027, 2, set()) == dt.date(2027, 2, 26)
    # The 15th of August 2026 is a Saturday: the next working day is Monday the 17th.
    assert occurrence(parse_schedule("15 10:00"), 2026, 8, set()) == dt.date(2026, 8, 17)


def test_holidays_move_the_checkin_to_the_next_working_day() -> None:
    # 2026-10-05 is the first Monday of October, inside China's National Day week.
    golden_week = {dt.date(2026, 10, d) for d in range(1, 8)}
    schedule = parse_schedule("first mon 10:00")
    assert occurrence(schedule, 2026, 10, golden_week) == dt.date(2026, 10, 8)
    assert working_day(dt.date(2026, 10, 9), {dt.date(2026, 10, 9)}) == dt.date(2026, 10, 12)


def test_next_checkin_in_the_consortiums_zone() -> None:
    schedule = parse_schedule("first mon 10:00")
    # 09:00 in Shanghai on the first Monday of November: today's, at 02:00 UTC.
    day, start = next_checkin(
        schedule, "Asia/Shanghai", dt.datetime(2026, 11, 2, 1, tzinfo=UTC), set()
    )
    assert (day, start) == (dt.date(2026, 11, 2), dt.datetime(2026, 11, 2, 2, tzinfo=UTC))
    # Just after it started: December's.
    day, start = next_checkin(schedule, "Asia/Shanghai", start, set())
    assert (day, start) == (dt.date(2026, 12, 7), dt.datetime(2026, 12, 7, 2, tzinfo=UTC))
    # Across a year and a daylight-saving zone: 10:00 in Berlin is 09:00 UTC in January.
    day, start = next_checkin(
        schedule, "Europe/Berlin", dt.datetime(2026, 12, 20, tzinfo=UTC), set()
    )
    assert start == dt.datetime(2027, 1, 4, 9, tzinfo=UTC)


def test_turnout_and_two_in_a_row() -> None:
    now = turnout(["nbu", "edtech", "lab"], {"nbu": ["Zhang", "Li", "Zhang"], "other": ["X"]})
    assert now == [
        PartyTurnout("nbu", ("Li", "Zhang")),
        PartyTurnout("edtech", ()),
        PartyTurnout("lab", ()),
    ]
    before = [PartyTurnout("nbu", ()), PartyTurnout("edtech", ()), PartyTurnout("lab", ("A",))]
    assert absent_twice(before, now) == ["edtech"]
    assert absent_twice(None, now) == []
