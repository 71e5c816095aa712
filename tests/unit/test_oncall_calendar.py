"""The On-call view's calendar worked out by hand: the duty cut into shifts at the
rotation's hand-offs (across daylight saving) and at an override's start and end, and the
shifts that touch a day in the reader's time zone."""

from __future__ import annotations

import datetime as dt

from bot.domain.oncall import Handoff, Override, Period, Rotation, Shift, on_day, shifts

UTC = dt.UTC

# Berlin: CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2). Mondays 09:00 local.
BERLIN = Rotation(
    members=(1, 2, 3),
    handoff=Handoff(dt.time(9, 0), weekday=0),
    period=Period.WEEKLY,
    timezone="Europe/Berlin",
    starts_on=dt.date(2026, 3, 16),
)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_weekly_shifts_follow_the_hand_offs_across_daylight_saving() -> None:
    found = shifts(BERLIN, (), at(2026, 3, 18, 12), at(2026, 4, 8, 12))
    assert found == [
        Shift(1, at(2026, 3, 18, 12), at(2026, 3, 23, 8), False),  # 09:00 CET
        Shift(2, at(2026, 3, 23, 8), at(2026, 3, 30, 7), False),  # 09:00 CEST
        Shift(3, at(2026, 3, 30, 7), at(2026, 4, 6, 7), False),
        Shift(1, at(2026, 4, 6, 7), at(2026, 4, 8, 12), False),
    ]


def test_an_override_cuts_a_shift_in_three() -> None:
    cover = Override(3, at(2026, 3, 24, 7), at(2026, 3, 24, 17), at(2026, 3, 20, 0))
    found = shifts(BERLIN, (cover,), at(2026, 3, 23, 8), at(2026, 3, 30, 7))
    assert found == [
        Shift(2, at(2026, 3, 23, 8), at(2026, 3, 24, 7), False),
        Shift(3, at(2026, 3, 24, 7), at(2026, 3, 24, 17), True),
        Shift(2, at(2026, 3, 24, 17), at(2026, 3, 30, 7), False),
    ]
    # In Shanghai (UTC+8) the override's day is the 24th, 15:00 to 01:00 the next day.
    assert [s.person for s in on_day(found, dt.date(2026, 3, 24), "Asia/Shanghai")] == [2, 3]
    assert [s.person for s in on_day(found, dt.date(2026, 3, 25), "Asia/Shanghai")] == [3, 2]
    assert [s.person for s in on_day(found, dt.date(2026, 3, 26), "Asia/Shanghai")] == [2]


def test_no_rotation_no_shift_but_an_override() -> None:
    empty = Rotation((), BERLIN.handoff, Period.WEEKLY, "Europe/Berlin", dt.date(2026, 3, 16))
    assert shifts(empty, (), at(2026, 3, 18), at(2026, 4, 15)) == []
    cover = Override(7, at(2026, 3, 20), at(2026, 3, 21), at(2026, 3, 1))
    assert shifts(empty, (cover,), at(2026, 3, 18), at(2026, 4, 15)) == [
        Shift(7, at(2026, 3, 20), at(2026, 3, 21), True)
    ]
