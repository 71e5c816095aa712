"""Training pace's pure rules: phases, gaps and when coordinators are warned of a gap."""

from __future__ import annotations

import datetime as dt

from bot.domain.pace import Activity, Gap, Phase, monday, timeline, to_warn

D = dt.date
WEEK = dt.timedelta(days=7)


def _one_day(phase: Phase, day: dt.date) -> Activity:
    return Activity(phase, day, day)


def test_no_activity_is_no_programme() -> None:
    assert timeline([]) is None


def test_a_week_without_activity_between_two_is_a_gap() -> None:
    # Culture training on Tue 10 Nov, a course on Thu 26 Nov: the week of 16 Nov is empty.
    line = timeline(
        [
            _one_day(Phase.PRE_DEPARTURE, D(2026, 11, 10)),
            _one_day(Phase.COURSES, D(2026, 11, 26)),
        ],
        return_weeks=0,
    )
    assert line is not None
    assert line.gaps == [Gap(D(2026, 11, 16), 1)]
    assert line.gaps[0].end == D(2026, 11, 22)  # its Sunday
    assert [w.monday for w in line.weeks] == [D(2026, 11, 9), D(2026, 11, 16), D(2026, 11, 23)]
    assert line.start == D(2026, 11, 9) and line.end == D(2026, 11, 29)


def test_weeks_in_a_row_make_one_gap_and_a_placement_fills_its_weeks() -> None:
    line = timeline(
        [
            _one_day(Phase.PRE_DEPARTURE, D(2026, 11, 12)),
            Activity(Phase.OVERSEAS, D(2027, 1, 4), D(2027, 3, 31)),
        ],
        return_weeks=1,
    )
    assert line is not None
    # 16 Nov to 3 Jan: seven empty weeks, then the placement and its return week.
    assert line.gaps == [Gap(D(2026, 11, 16), 7)]
    assert [s.phase for s in line.spans] == [Phase.PRE_DEPARTURE, Phase.OVERSEAS, Phase.RETURN]
    back = line.spans[-1]
    assert (back.start, back.end) == (D(2027, 4, 1), D(2027, 4, 7))


def test_training_in_the_gap_closes_it() -> None:
    acts = [
        _one_day(Phase.COURSES, D(2026, 11, 10)),
        _one_day(Phase.ENTERPRISE, D(2026, 11, 18)),
        _one_day(Phase.COURSES, D(2026, 11, 26)),
    ]
    line = timeline(acts, return_weeks=0)
    assert line is not None and line.gaps == []
    assert line.weeks[1].phases == frozenset({Phase.ENTERPRISE})


def test_a_week_is_monday_to_sunday() -> None:
    assert monday(D(2026, 11, 15)) == D(2026, 11, 9)  # a Sunday
    assert monday(D(2026, 11, 16)) == D(2026, 11, 16)
    # Sunday's and the next Monday's sessions: adjacent weeks, no gap.
    line = timeline(
        [_one_day(Phase.COURSES, D(2026, 11, 15)), _one_day(Phase.COURSES, D(2026, 11, 16))],
        return_weeks=0,
    )
    assert line is not None and line.gaps == [] and len(line.weeks) == 2


def test_warned_once_and_ahead_by_the_setting() -> None:
    gap = Gap(D(2026, 11, 16), 7)
    three_weeks = dt.timedelta(days=21)
    assert to_warn([gap], D(2026, 10, 25), three_weeks, []) == []  # 22 days before
    assert to_warn([gap], D(2026, 10, 26), three_weeks, []) == [gap]  # 21 days before
    assert to_warn([gap], D(2026, 10, 27), three_weeks, [gap.start]) == []  # warned already
    # Found late (a session was cancelled): still warned while the gap lasts; not after it.
    assert to_warn([gap], D(2026, 12, 1), three_weeks, []) == [gap]
    assert to_warn([gap], gap.end + dt.timedelta(days=1), three_weeks, []) == []
