"""Course modules: the consortium file's `courses` section and the pure rules of sessions
(who attends, which reminders are due, which sessions count as held and attended, credits
for attended hours).

The section's specs live here rather than in `bot.domain.consortium_file`, which only adds
the `courses` field to the root and calls `course_problems` from its cross-check.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.kinds import PartyKind
from bot.domain.time import parse_duration

# How long after a session ends an attendee may still confirm it, or a marker mark it.
CONFIRM_WITHIN = dt.timedelta(days=7)
MAX_SESSION = dt.timedelta(hours=12)
DEFAULT_REMINDERS = ("24h", "1h")


class CoursePhase(StrEnum):
    """Where a module sits in a student's programme."""

    PRE_DEPARTURE = "pre_departure"  # training on the host country's culture and policy
    COURSE = "course"


def _duration(value: str) -> str:
    parse_duration(value)
    return value


def _length(value: str) -> str:
    if parse_duration(value) > MAX_SESSION:
        raise ValueError(f"a session lasts at most 12h, not {value!r}")
    return value


def _link(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"expected a link starting with https://, not {value!r}")
    return value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


_Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
_Title = Annotated[str, Field(min_length=1, max_length=200)]


class TitleSpec(_Spec):
    en: _Title
    zh: _Title


class AttendeesSpec(_Spec):
    """Who attends: every student (`cohort`), the students of placement sites, named students."""

    cohort: bool = False
    sites: list[_Key] = Field(default_factory=list)
    students: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> AttendeesSpec:
        if not (self.cohort or self.sites or self.students):
            raise ValueError("name the cohort, sites or students")
        return self


class SessionSpec(_Spec):
    start: dt.datetime  # in the lead party's time zone, no zone of its own
    length: Annotated[str, AfterValidator(_duration), AfterValidator(_length)] = "90m"
    link: Annotated[str, Field(max_length=500), AfterValidator(_link)] | None = None
    place: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    speaker: int | None = Field(default=None, gt=0)
    attendees: AttendeesSpec = Field(default_factory=lambda: AttendeesSpec(cohort=True))

    @field_validator("start")
    @classmethod
    def _naive(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            raise ValueError(
                "give the lead party's local time without a zone, e.g. 2027-03-01 09:00"
            )
        return value

    @property
    def minutes(self) -> int:
        return int(parse_duration(self.length) / dt.timedelta(minutes=1))


class CourseSpec(_Spec):
    key: _Key
    title: TitleSpec
    lead: _Key
    parties: list[_Key] = Field(default_factory=list)  # the others that build it
    phase: CoursePhase = CoursePhase.COURSE
    credits_per_hour: Decimal = Field(default=Decimal(0), ge=0, le=10, decimal_places=2)
    sessions: list[SessionSpec] = Field(default_factory=list)

    def builders(self) -> list[str]:
        return list(dict.fromkeys([self.lead, *self.parties]))


class PaceSpec(_Spec):
    """When attendees are reminded of a session, and how far ahead coordinators are warned
    of a week with no activity in a student's programme."""

    session_reminders: list[Annotated[str, AfterValidator(_duration)]] = Field(
        default_factory=lambda: list(DEFAULT_REMINDERS), max_length=5
    )
    warn_ahead: Annotated[str, AfterValidator(_duration)] = "21d"
    return_weeks: int = Field(default=1, ge=0, le=8)  # weeks of the return after a placement


@dataclass(frozen=True)
class PartyRef:
    """What the cross-check needs of a party."""

    kind: PartyKind
    timezone: str | None


def course_problems(
    courses: Iterable[tuple[int, CourseSpec]],
    parties: Mapping[str, PartyRef | None],
    people: set[int],
    students: set[int],
) -> list[str]:
    """Problems that span entries: unknown parties, sites that are not overseas sites,
    speakers not in `people`, attendees not students, duplicate keys. `parties` maps each
    known key to its kind (None: an entry with problems of its own)."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, course in courses:
        here = f"courses[{i}]"
        if course.key in seen:
            problems.append(f"{here}.key: duplicate key {course.key!r}")
        seen.add(course.key)
        if course.lead not in parties:
            problems.append(f"{here}.lead: unknown party {course.lead!r}")
        problems += [
            f"{here}.parties[{j}]: unknown party {key!r}"
            for j, key in enumerate(course.parties)
            if key not in parties
        ]
        for j, session in enumerate(course.sessions):
            at = f"{here}.sessions[{j}]"
            if session.speaker is not None and session.speaker not in people:
                problems.append(f"{at}.speaker: {session.speaker} is not in people")
            for k, key in enumerate(session.attendees.sites):
                party = parties.get(key)
                if key not in parties:
                    problems.append(f"{at}.attendees.sites[{k}]: unknown party {key!r}")
                elif party is not None and party.kind is not PartyKind.OVERSEAS_SITE:
                    problems.append(
                        f"{at}.attendees.sites[{k}]: party {key!r} is a {party.kind.value}, "
                        "not an overseas_site"
                    )
            for k, student in enumerate(session.attendees.students):
                if student not in students:
                    problems.append(
                        f"{at}.attendees.students[{k}]: {student} is not a student in people"
                    )
    return problems


def session_start(local: dt.datetime, zone: str) -> dt.datetime:
    """A session's start given in the lead party's zone, as an aware UTC time."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@dataclass(frozen=True)
class Audience:
    """Who attends a session, as stored."""

    cohort: bool
    site_ids: frozenset[int]
    student_ids: frozenset[int]


def attendees(
    audience: Audience,
    students: Mapping[int, Iterable[tuple[int, dt.date, dt.date]]],
    day: dt.date,
) -> set[int]:
    """The students who attend: every student for the cohort, those named, and those whose
    placement at one of the sites covers the session's day (or is still to come: a site's
    students are trained before they leave). `students` maps a student's id to their
    placements as (site id, start, end)."""
    found = set(audience.student_ids)
    for student, placements in students.items():
        if audience.cohort:
            found.add(student)
            continue
        if any(site in audience.site_ids and day <= end for site, _, end in placements):
            found.add(student)
    return found


def reminders_due(
    starts_at: dt.datetime,
    offsets: Iterable[dt.timedelta],
    now: dt.datetime,
    sent: Iterable[int],
) -> list[int]:
    """The reminders (minutes before the start) due at `now` and not yet sent. Only the
    latest of several due at once goes (after a restart nobody gets 24h and 1h together);
    the others count as sent. None once the session started."""
    if now >= starts_at:
        return []
    done = set(sent)
    due = sorted(
        (int(o / dt.timedelta(minutes=1)) for o in offsets if starts_at - o <= now),
    )
    return [m for m in due if m not in done]


def can_confirm(starts_at: dt.datetime, minutes: int, now: dt.datetime) -> bool:
    """Attendance can be confirmed or marked from the start until a week after the end."""
    return starts_at <= now <= starts_at + dt.timedelta(minutes=minutes) + CONFIRM_WITHIN


def has_ended(starts_at: dt.datetime, minutes: int, now: dt.datetime) -> bool:
    """A session counts as held once it has ended."""
    return starts_at + dt.timedelta(minutes=minutes) <= now


def held_and_attended(
    held: Mapping[int, Collection[int]], present: Iterable[tuple[int, int]]
) -> dict[int, tuple[int, int]]:
    """Per student: the sessions held for them, and how many of those they attended.
    `held` maps each session that has ended to the students it was held for (its
    `attendees`); `present` is (student id, session id) for every "present" mark. A mark
    on a session not held for that student (still running, another site's, one naming
    other students) counts for nothing. Students with no session held are left out."""
    count: Counter[int] = Counter()
    for students in held.values():
        count.update(students)
    attended = Counter(student for student, session in present if student in held.get(session, ()))
    return {student: (n, attended[student]) for student, n in count.items()}


def attended_credits(minutes: int, per_hour: Decimal) -> Decimal:
    """Credits for attended minutes of one module, exact to two decimals."""
    return (Decimal(minutes) / 60 * per_hour).quantize(Decimal("0.01"))


class CourseInputError(ValueError):
    """A command's input a course cannot take: `code` picks the message, `value` is what
    the person wrote."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code)
        self.code, self.value = code, value
