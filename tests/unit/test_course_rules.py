"""Courses' pure rules: the file's section and its problems with their places, who attends a
session, which reminder is due, when attendance may be recorded, which sessions count as
held and attended, and credits per hour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.domain.consortium_file import ConsortiumFileError, parse_consortium_file
from bot.domain.courses import (
    Audience,
    attended_credits,
    attendees,
    can_confirm,
    has_ended,
    held_and_attended,
    reminders_due,
    session_start,
)

HEAD = """
consortium: {name: X, timezone: Asia/Shanghai}
parties:
  - {key: uni, name: Uni, kind: university, timezone: Asia/Shanghai}
  - {key: ent, name: Ent, kind: enterprise}
  - {key: bkk, name: BKK, kind: overseas_site, timezone: Asia/Bangkok}
people:
  - {telegram_id: 1, name: S, party: uni, roles: [student]}
  - {telegram_id: 2, name: T, party: uni, roles: [mentor]}
"""


def _problems(courses: str) -> list[str]:
    with pytest.raises(ConsortiumFileError) as failed:
        parse_consortium_file(HEAD + courses)
    return failed.value.problems


def test_a_course_with_sessions_parses() -> None:
    doc = parse_consortium_file(
        HEAD
        + """
courses:
  - key: sec
    title: {en: Data security, zh: 数据安全}
    lead: uni
    parties: [ent]
    credits_per_hour: 0.25
    sessions:
      - {start: 2027-03-01 09:00, length: 2h, speaker: 2, link: "https://meet.example/a"}
      - {start: 2027-03-08 09:00, place: Room 1, attendees: {sites: [bkk], students: [1]}}
pace: {session_reminders: [24h, 1h], warn_ahead: 21d}
"""
    )
    (course,) = doc.courses
    assert course.builders() == ["uni", "ent"] and course.credits_per_hour == Decimal("0.25")
    first, second = course.sessions
    assert first.minutes == 120 and first.attendees.cohort  # the cohort by default
    assert second.minutes == 90 and not second.attendees.cohort
    assert doc.pace is not None and doc.pace.session_reminders == ["24h", "1h"]


def test_problems_are_reported_with_their_place() -> None:
    problems = _problems(
        """
courses:
  - key: sec
    title: {en: Data security, zh: 数据安全}
    lead: uni
    parties: [nope]
    sessions:
      - {start: 2027-03-01 09:00, speaker: 3}
      - {start: 2027-03-01 09:00, attendees: {sites: [ent], students: [2]}}
      - {start: 2027-03-01 09:00, length: 13h, link: "ftp://x"}
  - key: sec
    title: {en: Other}
    lead: uni
  - key: sec
    title: {en: Again, zh: 再}
    lead: uni
    sessions:
      - {start: "2027-02-30 09:00", attendees: {}}
pace: {warn_ahead: 3w}
"""
    )
    assert set(problems) >= {
        "courses[0].sessions[2].length: a session lasts at most 12h, not '13h'",
        "courses[0].sessions[2].link: expected a link starting with https://, not 'ftp://x'",
        "courses[1].title.zh: required",
        "courses[2].sessions[0].attendees: name the cohort, sites or students",
        "pace.warn_ahead: expected a duration such as 30m or 2h, got '3w'",
    }
    assert any(p.startswith("courses[2].sessions[0].start: ") for p in problems)
    # courses[0] itself is valid: its references are checked across the file.
    assert _problems(
        """
courses:
  - key: sec
    title: {en: Data security, zh: 数据安全}
    lead: nope
    parties: [nope]
    sessions:
      - {start: 2027-03-01 09:00, speaker: 3}
      - {start: 2027-03-01 09:00, attendees: {sites: [ent, zzz], students: [2]}}
  - key: sec
    title: {en: Again, zh: 再}
    lead: uni
"""
    ) == [
        "courses[0].lead: unknown party 'nope'",
        "courses[0].parties[0]: unknown party 'nope'",
        "courses[0].sessions[0].speaker: 3 is not in people",
        "courses[0].sessions[1].attendees.sites[0]: party 'ent' is a enterprise, not an "
        "overseas_site",
        "courses[0].sessions[1].attendees.sites[1]: unknown party 'zzz'",
        "courses[0].sessions[1].attendees.students[0]: 2 is not a student in people",
        "courses[1].key: duplicate key 'sec'",
    ]


def test_a_start_with_a_zone_is_refused() -> None:
    problems = _problems(
        """
courses:
  - key: sec
    title: {en: A, zh: B}
    lead: uni
    sessions: [{start: "2027-03-01T09:00+08:00"}]
"""
    )
    assert problems[0].startswith("courses[0].sessions[0].start: give the lead party's local")


def test_the_start_is_in_the_lead_partys_zone() -> None:
    start = session_start(dt.datetime(2026, 11, 10, 16, 0), "Asia/Shanghai")
    assert start == dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)


def test_who_attends() -> None:
    nov = dt.date(2026, 11, 10)
    students = {
        1: [(100, dt.date(2026, 9, 1), dt.date(2027, 1, 31))],  # at site 100 now
        2: [(100, dt.date(2026, 3, 1), dt.date(2026, 6, 30))],  # was there; back home
        3: [(200, dt.date(2027, 1, 4), dt.date(2027, 3, 31))],  # leaves for 200 later
        4: [],
    }
    everyone = Audience(True, frozenset(), frozenset())
    assert attendees(everyone, students, nov) == {1, 2, 3, 4}
    site = Audience(False, frozenset({100, 200}), frozenset())
    assert attendees(site, students, nov) == {1, 3}
    named = Audience(False, frozenset(), frozenset({4}))
    assert attendees(named, students, nov) == {4}


def test_reminders_due_once_and_only_the_nearest_after_downtime() -> None:
    start = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
    offsets = [dt.timedelta(hours=24), dt.timedelta(hours=1)]
    before = start - dt.timedelta(hours=24, minutes=1)
    assert reminders_due(start, offsets, before, []) == []
    assert reminders_due(start, offsets, start - dt.timedelta(hours=24), []) == [1440]
    assert reminders_due(start, offsets, start - dt.timedelta(hours=2), [1440]) == []
    assert reminders_due(start, offsets, start - dt.timedelta(minutes=59), [1440]) == [60]
    # Down from the day before until 30 minutes before: both due, the service sends the 1h.
    assert reminders_due(start, offsets, start - dt.timedelta(minutes=30), []) == [60, 1440]
    assert reminders_due(start, offsets, start, []) == []  # started: too late


def test_attendance_is_recorded_from_the_start_until_a_week_after_the_end() -> None:
    start = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
    assert not can_confirm(start, 120, start - dt.timedelta(minutes=1))
    assert can_confirm(start, 120, start)
    assert can_confirm(start, 120, start + dt.timedelta(days=7, hours=2))
    assert not can_confirm(start, 120, start + dt.timedelta(days=7, hours=2, minutes=1))


def test_a_session_counts_as_held_once_it_has_ended() -> None:
    start = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
    assert not has_ended(start, 90, start + dt.timedelta(minutes=89))
    assert has_ended(start, 90, start + dt.timedelta(minutes=90))


def test_attended_counts_only_marks_on_sessions_held_for_the_student() -> None:
    # Ended sessions 10 (the cohort: students 1, 2), 11 (a site: 1) and 12 (naming 1).
    held = {10: {1, 2}, 11: {1}, 12: {1}}
    present = [
        (1, 11),
        (1, 20),  # session 20 is still running (or yet to come): not held
        (2, 11),  # 11 is the other site's
        (2, 12),  # 12 names student 1 only
        (2, 10),
    ]
    assert held_and_attended(held, present) == {1: (3, 1), 2: (1, 1)}
    assert held_and_attended(held, []) == {1: (3, 0), 2: (1, 0)}
    assert held_and_attended({}, present) == {}


def test_credits_per_attended_hour() -> None:
    assert attended_credits(120, Decimal("0.5")) == Decimal("1.00")
    assert attended_credits(90, Decimal("0.25")) == Decimal("0.38")  # 0.375, to two places
    assert attended_credits(45, Decimal(0)) == Decimal("0.00")
