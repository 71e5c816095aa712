"""Training pace: a student's programme as a timeline of phases, and its gaps.

The consortium promises "continuous and uninterrupted" training. A student's programme runs
from their first activity to their last: pre-departure training on culture and policy,
course sessions, enterprise training, the overseas placement and the return after it. A
week (Monday to Sunday, in the student's zone) inside it with no activity is a gap;
coordinators are warned a set time ahead of each gap, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

WEEK = dt.timedelta(days=7)


class Phase(StrEnum):
    """The phases of a programme, in the order a student passes them."""

    PRE_DEPARTURE = "pre_departure"
    COURSES = "courses"
    ENTERPRISE = "enterprise"
    OVERSEAS = "overseas"
    RETURN = "return"


@dataclass(frozen=True)
class Activity:
    """Something a student does from `start` to `end` (both days included)."""

    phase: Phase
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Span:
    """A phase from its first day to its last, and how many activities it holds."""

    phase: Phase
    start: dt.date
    end: dt.date
    count: int


@dataclass(frozen=True)
class Gap:
    """Weeks in a row with no activity, from a Monday."""

    start: dt.date
    weeks: int

    @property
    def end(self) -> dt.date:
        """The Sunday of its last week."""
        return self.start + self.weeks * WEEK - dt.timedelta(days=1)


@dataclass(frozen=True)
class Week:
    monday: dt.date
    phases: frozenset[Phase]

    @property
    def empty(self) -> bool:
        return not self.phases


@dataclass(frozen=True)
class Timeline:
    spans: list[Span]  # by their first day
    weeks: list[Week]  # every week of the programme, in order
    gaps: list[Gap]

    @property
    def start(self) -> dt.date:
        return self.weeks[0].monday

    @property
    def end(self) -> dt.date:
        return self.weeks[-1].monday + dt.timedelta(days=6)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def with_return(activities: Iterable[Activity], return_weeks: int) -> list[Activity]:
    """The activities and, after each overseas placement, its return: `return_weeks` weeks
    from the day after it ends (debriefing, the final report, credits recognised)."""
    found = list(activities)
    if return_weeks > 0:
        found += [
            Activity(Phase.RETURN, a.end + dt.timedelta(days=1), a.end + return_weeks * WEEK)
            for a in found
            if a.phase is Phase.OVERSEAS
        ]
    return found


def timeline(activities: Iterable[Activity], return_weeks: int = 1) -> Timeline | None:
    """The programme these activities make, with its gaps; None without any activity."""
    found = [a for a in with_return(activities, return_weeks) if a.end >= a.start]
    if not found:
        return None
    # Each activity marks the weeks it touches: linear in the activities' weeks, not in
    # activities times weeks (a student may attend hundreds of sessions).
    marked: dict[dt.date, set[Phase]] = {}
    for activity in found:
        week = monday(activity.start)
        while week <= activity.end:
            marked.setdefault(week, set()).add(activity.phase)
            week += WEEK
    first, last = min(marked), max(marked)
    weeks = [
        Week(first + i * WEEK, frozenset(marked.get(first + i * WEEK, ())))
        for i in range((last - first).days // 7 + 1)
    ]
    return Timeline(_spans(found), weeks, gaps_of(weeks))


def _spans(activities: list[Activity]) -> list[Span]:
    spans = []
    for phase in Phase:
        mine = [a for a in activities if a.phase is phase]
        if mine:
            spans.append(
                Span(phase, min(a.start for a in mine), max(a.end for a in mine), len(mine))
            )
    return sorted(spans, key=lambda s: (s.start, list(Phase).index(s.phase)))


def gaps_of(weeks: Iterable[Week]) -> list[Gap]:
    """Runs of empty weeks."""
    gaps: list[Gap] = []
    run_start: dt.date | None = None
    count = 0
    for week in weeks:
        if week.empty:
            run_start = run_start or week.monday
            count += 1
        elif run_start is not None:
            gaps.append(Gap(run_start, count))
            run_start, count = None, 0
    if run_start is not None:
        gaps.append(Gap(run_start, count))
    return gaps


def to_warn(
    gaps: Iterable[Gap], today: dt.date, ahead: dt.timedelta, warned: Iterable[dt.date]
) -> list[Gap]:
    """The gaps coordinators must hear of now: starting within `ahead` of `today` (or begun
    and not over: late is better than never), and not warned of before (by first Monday)."""
    done = set(warned)
    return [gap for gap in gaps if gap.start not in done and gap.start - ahead <= today <= gap.end]
