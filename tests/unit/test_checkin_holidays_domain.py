"""Public holidays from the `holidays` package, and where a moved check-in came from."""

from __future__ import annotations

import datetime as dt

from bot.domain.checkin import moved_from, occurrence, parse_schedule, skipped_days
from bot.domain.holidays import make_up_workdays, public_holidays


def test_the_spring_festival_moves_with_the_moon() -> None:
    for year, day in ((2026, dt.date(2026, 2, 17)), (2027, dt.date(2027, 2, 6))):
        found = public_holidays(["cn"], [year], "zh")
        assert found[day] == (("CN", "春节"),)
    english = public_holidays(["CN"], [2027])
    assert english[dt.date(2027, 2, 8)] == (("CN", "Chinese New Year (Spring Festival)"),)


def test_countries_add_up_and_unknown_ones_add_nothing() -> None:
    found = public_holidays(["CN", "TH", "TA"], [2027], "en")
    assert [c for c, _ in found[dt.date(2027, 1, 1)]] == ["CN", "TH"]
    assert public_holidays(["TA"], [2027]) == {}
    # A language the country's calendar lacks: English, not the country's own.
    assert found[dt.date(2027, 4, 13)][0] == ("TH", "Songkran Festival")


def test_a_checkin_moved_into_the_next_month_is_traced_back() -> None:
    schedule = parse_schedule("last fri 10:00")  # Friday 30 April 2027, and a holiday
    holidays = {dt.date(2027, 4, 30)}
    assert moved_from(schedule, dt.date(2027, 5, 3), holidays) == dt.date(2027, 4, 30)
    assert skipped_days(dt.date(2027, 4, 30), dt.date(2027, 5, 3)) == [
        dt.date(2027, 4, 30),
        dt.date(2027, 5, 1),
        dt.date(2027, 5, 2),
    ]
    assert moved_from(schedule, dt.date(2027, 5, 28), holidays) is None  # on its day


def test_china_s_make_up_working_days_are_working_days() -> None:
    """调休: Saturday 14 February 2026 is worked before the Spring Festival (15-23 February).
    A check-in on the 14th stays there instead of moving to the 24th; a country without
    such days (or a mix of countries) keeps its weekends."""
    workdays = make_up_workdays(["cn"], [2026])
    assert dt.date(2026, 2, 14) in workdays and dt.date(2026, 10, 10) in workdays
    assert all(day.weekday() >= 5 for day in workdays)
    assert make_up_workdays(["TH"], [2026]) == frozenset()
    assert make_up_workdays(["CN", "TH"], [2026]) == frozenset()  # worked in China only
    assert make_up_workdays([], [2026]) == frozenset()
    schedule = parse_schedule("14 10:00")
    holidays = set(public_holidays(["CN"], [2026]))
    assert occurrence(schedule, 2026, 2, holidays) == dt.date(2026, 2, 24)  # as before
    assert occurrence(schedule, 2026, 2, holidays, workdays) == dt.date(2026, 2, 14)
    assert moved_from(schedule, dt.date(2026, 2, 14), holidays, workdays) is None
