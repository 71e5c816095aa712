"""Course modules and their sessions: imported from the consortium file or added by command,
listed for each person, reminded before they start, and their attendance marked.

Who attends a session is worked out when it is needed (the cohort today, a site's students
today), so a student who joins after the import is reminded too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.domain.courses import (
    Audience,
    CourseInputError,
    CoursePhase,
    CourseSpec,
    PaceSpec,
    attended_credits,
    attendees,
    can_confirm,
    has_ended,
    held_and_attended,
    reminders_due,
    session_start,
)
from bot.domain.time import format_duration, parse_duration
from bot.services.context import ServiceContext
from bot.services.oncall import zone_of
from db.models import (
    Course,
    CourseSession,
    Party,
    Person,
    Role,
    SessionReminder,
)
from db.repositories import Repos


async def rules(repos: Repos) -> PaceSpec:
    """The `pace` section: session reminders, how far ahead gaps are warned, the return."""
    return PaceSpec.model_validate(await repos.rules.get("pace") or {})


def title(course: Course, language: str) -> str:
    return course.title_zh if language == "zh" else course.title_en


# --- the consortium file -------------------------------------------------------------------


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _exact(value: Decimal) -> str:
    return format(value.normalize(), "f")


async def apply_courses(
    repos: Repos,
    specs: list[CourseSpec],
    parties: dict[str, Party],
    people: dict[int, Person],
    consortium_zone: str,
    created: Counter[str],
    updated: Counter[str],
) -> None:
    """Make the file's courses and their sessions exist as the file says (matched by key,
    sessions by their place in the course); courses the file does not list are left alone."""
    for spec in specs:
        lead = parties[spec.lead]
        values = {
            "title_en": spec.title.en,
            "title_zh": spec.title.zh,
            "phase": spec.phase,
            "lead_id": lead.id,
            "credits_per_hour": _exact(spec.credits_per_hour),
        }
        course = await repos.courses.by_key(spec.key)
        is_new = course is None
        if course is None:
            course = await repos.courses.add(Course(key=spec.key, **values))
            created["courses"] += 1
        changed = _assign(course, values)
        builders = {parties[key].id for key in spec.builders()}
        changed = await repos.courses.set_builders(course.id, builders) or changed
        if changed and not is_new:
            updated["courses"] += 1
        zone = lead.timezone or consortium_zone
        for seq, item in enumerate(spec.sessions):
            values = {
                "starts_at": session_start(item.start, zone),
                "minutes": item.minutes,
                "link": item.link,
                "place": item.place,
                "speaker_id": people[item.speaker].id if item.speaker else None,
                "cohort": item.attendees.cohort,
            }
            session = await repos.courses.session_at(course.id, seq)
            fresh = session is None
            if session is None:
                session = await repos.courses.add_session(
                    CourseSession(course_id=course.id, seq=seq, **values)
                )
                created["sessions"] += 1
            moved = _assign(session, values)
            sites = {parties[key].id for key in item.attendees.sites}
            students = {people[tid].id for tid in item.attendees.students}
            moved = await repos.courses.set_audience(session.id, sites, students) or moved
            if moved and not fresh:
                updated["sessions"] += 1
    await repos.flush()


async def export_courses(repos: Repos, consortium_zone: str) -> list[dict[str, Any]]:
    """The courses in the file's form: what `apply_courses` reads back unchanged."""
    parties = {party.id: party for party in await repos.parties.all()}
    builders = await repos.courses.built_by()
    people = {p.id: p for p in await repos.people.all()}
    found = []
    for course in await repos.courses.all():
        lead = parties[course.lead_id]
        zone = ZoneInfo(lead.timezone or consortium_zone)
        sessions = []
        for session in sorted(await repos.courses.sessions(course.id), key=lambda s: s.seq):
            sites, students = await repos.courses.audience(session.id)
            audience: dict[str, Any] = {"cohort": True} if session.cohort else {}
            if sites:
                audience["sites"] = sorted(parties[p].key for p in sites)
            if students:
                audience["students"] = sorted(people[p].telegram_id for p in students)
            speaker = people.get(session.speaker_id) if session.speaker_id else None
            item: dict[str, Any] = {
                "start": session.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "length": format_duration(dt.timedelta(minutes=session.minutes)),
                "link": session.link,
                "place": session.place,
                "speaker": speaker.telegram_id if speaker else None,
                "attendees": audience,
            }
            sessions.append({k: v for k, v in item.items() if v not in (None, {})})
        others = sorted(parties[p].key for p in builders.get(course.id, set()) - {lead.id})
        entry: dict[str, Any] = {
            "key": course.key,
            "title": {"en": course.title_en, "zh": course.title_zh},
            "lead": lead.key,
            "parties": others,
            "phase": course.phase.value if course.phase is not CoursePhase.COURSE else None,
            "credits_per_hour": (
                float(course.credits_per_hour) if Decimal(course.credits_per_hour) else None
            ),
            "sessions": sessions,
        }
        found.append({k: v for k, v in entry.items() if v not in (None, [])})
    return found


# --- who attends ----------------------------------------------------------------------------


@dataclass
class Roster:
    """Every student and their placements, loaded once for many sessions; or only some
    students' (`only`), for one person's figures: then a session's attendees are those of
    them who attend it."""

    students: dict[int, Person]
    placements: dict[int, list[tuple[int, dt.date, dt.date]]]
    # Every session's sites and named students, when read at once for a sweep.
    audiences: dict[int, tuple[set[int], set[int]]] | None = None

    @classmethod
    async def load(
        cls, repos: Repos, every_audience: bool = False, only: Iterable[int] | None = None
    ) -> Roster:
        wanted = None if only is None else set(only)
        students = {p.id: p for p in await repos.memberships.people_with_role(Role.STUDENT, wanted)}
        placements: dict[int, list[tuple[int, dt.date, dt.date]]] = {s: [] for s in students}
        for student, site, start, end in await repos.placements.spans(wanted):
            if student in placements:
                placements[student].append((site, start, end))
        audiences = await repos.courses.audiences(wanted) if every_audience else None
        return cls(students, placements, audiences)

    async def ids(self, repos: Repos, session: CourseSession) -> set[int]:
        """The person ids of the session's attendees."""
        if self.audiences is not None:
            sites, named = self.audiences.get(session.id, (set(), set()))
        else:
            sites, named = await repos.courses.audience(session.id)
        audience = Audience(session.cohort, frozenset(sites), frozenset(named))
        return attendees(audience, self.placements, session.starts_at.date())

    async def of(self, repos: Repos, session: CourseSession) -> list[Person]:
        ids = await self.ids(repos, session)
        missing = ids - set(self.students)
        extra = await repos.people.by_ids(missing) if missing else {}
        found = [self.students.get(i) or extra.get(i) for i in sorted(ids)]
        return sorted((p for p in found if p is not None), key=lambda p: p.telegram_id)


@dataclass
class Zones:
    """Everyone's time zone, read once for a sweep over many people: their own, else their
    first placement site's, else their first party's, else the consortium's."""

    parties: dict[int, Party]
    sites: dict[int, list[int]]  # person id: their placement sites, by start
    memberships: dict[int, list[int]]  # person id: their parties
    fallback: str

    @classmethod
    async def load(cls, ctx: ServiceContext) -> Zones:
        sites: dict[int, list[int]] = {}
        for student, site, _, _ in await ctx.repos.placements.spans():  # by student, start
            sites.setdefault(student, []).append(site)
        memberships: dict[int, list[int]] = {}
        for membership in await ctx.repos.memberships.all():
            memberships.setdefault(membership.person_id, []).append(membership.party_id)
        parties = {p.id: p for p in await ctx.repos.parties.all()}
        return cls(parties, sites, memberships, await ctx.zone())

    def of(self, person: Person) -> str:
        if person.timezone:
            return person.timezone
        for party_id in [*self.sites.get(person.id, []), *self.memberships.get(person.id, [])]:
            party = self.parties.get(party_id)
            if party is not None and party.timezone:
                return party.timezone
        return self.fallback


async def person_zone(ctx: ServiceContext, person: Person) -> str:
    """A person's zone: their own, else their first placement site's (students), else their
    first party's, else the consortium's."""
    if person.timezone:
        return person.timezone
    for placement in await ctx.repos.placements.of_student(person.id):
        site = await ctx.repos.parties.by_id(placement.site_id)
        if site is not None and site.timezone:
            return site.timezone
    for membership in await ctx.repos.memberships.of_person(person.id):
        party = await ctx.repos.parties.by_id(membership.party_id)
        if party is not None and party.timezone:
            return party.timezone
    return await ctx.zone()


# --- reminders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    person: Person
    zone: str
    session: CourseSession
    course: Course
    before: dt.timedelta


async def reminders(ctx: ServiceContext) -> list[Reminder]:
    """The reminders due now, each recorded as sent (in this transaction, with its outbox
    row): a reminder goes exactly once. Of several due at once for one person (the bot was
    down) only the nearest goes."""
    offsets = [parse_duration(o) for o in (await rules(ctx.repos)).session_reminders]
    if not offsets:
        return []
    sessions = await ctx.repos.courses.starting_between(ctx.now, ctx.now + max(offsets))
    if not sessions:
        return []
    roster = await Roster.load(ctx.repos, every_audience=True)
    zones: Zones | None = None
    courses = await ctx.repos.courses.by_ids(s.course_id for s in sessions)
    due: list[Reminder] = []
    sent_now: list[SessionReminder] = []
    for session in sessions:
        sent = await ctx.repos.courses.reminders_sent(session.id)
        for person in await roster.of(ctx.repos, session):
            minutes = reminders_due(session.starts_at, offsets, ctx.now, sent.get(person.id, ()))
            if not minutes:
                continue
            sent_now += [
                SessionReminder(
                    session_id=session.id, person_id=person.id, before_minutes=m, sent_at=ctx.now
                )
                for m in minutes
            ]
            zones = zones or await Zones.load(ctx)
            nearest = dt.timedelta(minutes=min(minutes))
            course = courses[session.course_id]
            due.append(Reminder(person, zones.of(person), session, course, nearest))
    await ctx.repos.courses.add_reminders(sent_now)
    return due


# --- what a person sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    session: CourseSession
    course: Course
    speaker: Person | None
    place_zone: str  # the lead party's zone


@dataclass
class CoursesView:
    zone: str
    courses: list[tuple[Course, str]]  # each course and its lead party's name
    upcoming: list[SessionView] = field(default_factory=list)
    to_mark: list[SessionView] = field(default_factory=list)  # the person marks attendance
    to_confirm: list[SessionView] = field(default_factory=list)  # the person attended?


UPCOMING = 8
BUTTONS = 6


async def _view(repos: Repos, session: CourseSession, course: Course) -> SessionView:
    speaker = await repos.people.by_id(session.speaker_id) if session.speaker_id else None
    lead = await repos.parties.by_id(course.lead_id)
    return SessionView(session, course, speaker, lead.timezone if lead and lead.timezone else "")


async def speaks_for(repos: Repos, person: Person, party_id: int) -> bool:
    """A contact of the party, or a coordinator (as `bot.services.people.speaks_for`, which
    imports this module for /mydata)."""
    for membership in await repos.memberships.of_person(person.id):
        if membership.role is Role.COORDINATOR:
            return True
        if membership.role is Role.CONTACT and membership.party_id == party_id:
            return True
    return False


async def may_mark(repos: Repos, person: Person, session: CourseSession, course: Course) -> bool:
    """The speaker, a contact of the lead party, or a coordinator marks attendance."""
    return session.speaker_id == person.id or await speaks_for(repos, person, course.lead_id)


async def courses_of(ctx: ServiceContext, person: Person, roles: Iterable[Role]) -> CoursesView:
    """The modules a person takes part in (coordinators: all), their next sessions, and the
    sessions whose attendance they mark or confirm now."""
    repos = ctx.repos
    coordinator = Role.COORDINATOR in set(roles)
    # A party's contacts and mentors see the modules it builds; its students, what they attend.
    my_parties = {
        m.party_id
        for m in await repos.memberships.of_person(person.id)
        if m.role in (Role.CONTACT, Role.MENTOR)
    }
    builders = await repos.courses.built_by()
    roster = await Roster.load(repos)
    parties = {p.id: p for p in await repos.parties.all()}
    view = CoursesView(await person_zone(ctx, person), [])
    for course in await repos.courses.all():
        sessions = await repos.courses.sessions(course.id)
        building = coordinator or bool(builders.get(course.id, set()) & my_parties)
        mine = []
        for session in sessions:
            speaking = session.speaker_id == person.id
            attending = any(p.id == person.id for p in await roster.of(repos, session))
            if building or speaking or attending:
                mine.append((session, speaking, attending))
        if not (building or mine):
            continue
        view.courses.append((course, parties[course.lead_id].name))
        marking = await speaks_for(repos, person, course.lead_id)
        for session, speaking, attending in mine:
            item = await _view(repos, session, course)
            if session.starts_at > ctx.now:
                view.upcoming.append(item)
            elif can_confirm(session.starts_at, session.minutes, ctx.now):
                if speaking or marking:
                    view.to_mark.append(item)
                if attending:
                    marked = await repos.courses.attendance(session.id)
                    if person.id not in marked:
                        view.to_confirm.append(item)
    view.upcoming = sorted(view.upcoming, key=lambda v: v.session.starts_at)[:UPCOMING]
    view.to_mark = view.to_mark[-BUTTONS:]
    view.to_confirm = view.to_confirm[-BUTTONS:]
    return view


# --- attendance -------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A session's attendance: each attendee and whether they attended (None: not marked)."""

    view: SessionView
    rows: list[tuple[Person, bool | None]]


Refusal = Literal["unknown", "not_yours", "not_now", "not_attendee"]


async def sheet(
    ctx: ServiceContext, session_id: int, marker: Person, toggle: int | None = None
) -> Sheet | Refusal:
    """The attendance sheet of a session for its speaker or the lead party's contact (or a
    coordinator); `toggle` flips one attendee (by person id) between attended and not."""
    repos = ctx.repos
    session = await repos.courses.session_by_id(session_id)
    if session is None:
        return "unknown"
    course = (await repos.courses.by_ids([session.course_id]))[session.course_id]
    if not await may_mark(repos, marker, session, course):
        return "not_yours"
    people = await (await Roster.load(repos)).of(repos, session)
    if toggle is not None:
        if not can_confirm(session.starts_at, session.minutes, ctx.now):
            return "not_now"
        if toggle not in {p.id for p in people}:
            return "not_attendee"
        current = (await repos.courses.attendance(session.id)).get(toggle)
        present = not (current is not None and current.present)
        await repos.courses.mark(session.id, toggle, present, marker.id, ctx.now)
    marked = await repos.courses.attendance(session.id)
    rows = [(p, marked[p.id].present if p.id in marked else None) for p in people]
    return Sheet(await _view(repos, session, course), rows)


async def confirm(ctx: ServiceContext, session_id: int, person: Person) -> SessionView | Refusal:
    """An attendee confirms they attended (from the start until a week after the end); a
    marker's 'absent' is not overruled."""
    repos = ctx.repos
    session = await repos.courses.session_by_id(session_id)
    if session is None:
        return "unknown"
    course = (await repos.courses.by_ids([session.course_id]))[session.course_id]
    people = await (await Roster.load(repos)).of(repos, session)
    if person.id not in {p.id for p in people}:
        return "not_attendee"
    if not can_confirm(session.starts_at, session.minutes, ctx.now):
        return "not_now"
    current = (await repos.courses.attendance(session.id)).get(person.id)
    if current is None:
        await repos.courses.mark(session.id, person.id, True, person.id, ctx.now)
    return await _view(repos, session, course)


# --- credits and participation ------------------------------------------------------------------


@dataclass(frozen=True)
class CourseCredits:
    course: Course
    minutes: int
    credits: Decimal


async def credits_of(repos: Repos, student_id: int) -> list[CourseCredits]:
    """Attended minutes and credits per module, for modules the file gives credits to or
    the student attended."""
    minutes: Counter[int] = Counter()
    for _, session in await repos.courses.attended([student_id]):
        minutes[session.course_id] += session.minutes
    courses = await repos.courses.by_ids(minutes)
    return [
        CourseCredits(courses[cid], n, attended_credits(n, Decimal(courses[cid].credits_per_hour)))
        for cid, n in sorted(minutes.items())
    ]


async def sessions_held(
    repos: Repos, now: dt.datetime, only: Iterable[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per student: the sessions they were to attend that have ended, and those of them
    attended (`held_and_attended`); every student's, or only those of the students in
    `only` (/progress: one student's, read from their own rows, not the cohort's). Each
    session's audience is read with the others', not in statements of its own."""
    ended = [
        session
        for session in await repos.courses.sessions()
        if has_ended(session.starts_at, session.minutes, now)
    ]
    if not ended:
        return {}
    wanted = None if only is None else set(only)
    roster = await Roster.load(repos, every_audience=True, only=wanted)
    held = {session.id: await roster.ids(repos, session) for session in ended}
    present = [(person, session.id) for person, session in await repos.courses.attended(wanted)]
    return held_and_attended(held, present)


# --- by command -------------------------------------------------------------------------------


async def add_course(
    ctx: ServiceContext, person: Person, key: str, lead_key: str, titles: str
) -> Course | Refusal:
    """/course new KEY LEAD English title | 中文标题: a coordinator, or a contact of the lead."""
    repos = ctx.repos
    lead = await repos.parties.by_key(lead_key)
    if lead is None:
        raise CourseInputError("unknown_party", lead_key)
    if not await speaks_for(repos, person, lead.id):
        return "not_yours"
    english, _, chinese = titles.partition("|")
    english, chinese = english.strip(), chinese.strip() or english.strip()
    try:
        spec = CourseSpec.model_validate(
            {"key": key, "title": {"en": english, "zh": chinese}, "lead": lead_key}
        )
    except ValidationError:
        raise CourseInputError("bad_course", key) from None
    if await repos.courses.by_key(spec.key) is not None:
        raise CourseInputError("duplicate_course", spec.key)
    course = await repos.courses.add(
        Course(
            key=spec.key, title_en=english, title_zh=chinese, lead_id=lead.id, credits_per_hour="0"
        )
    )
    await repos.courses.set_builders(course.id, {lead.id})
    return course


async def add_session(
    ctx: ServiceContext,
    person: Person,
    key: str,
    start: dt.datetime,
    length: str,
    where: str | None,
) -> SessionView | Refusal:
    """/course session KEY YYYY-MM-DD HH:MM LENGTH [LINK or PLACE]: for the whole cohort,
    the start in the lead party's zone."""
    repos = ctx.repos
    course = await repos.courses.by_key(key.lower())
    if course is None:
        raise CourseInputError("unknown_course", key)
    if not await speaks_for(repos, person, course.lead_id):
        return "not_yours"
    lead = await repos.parties.by_id(course.lead_id)
    zone = await zone_of(repos, lead, ctx.default_tz)
    starts_at = session_start(start, zone)
    if starts_at <= ctx.now:
        raise CourseInputError("session_in_past", start.strftime("%Y-%m-%d %H:%M"))
    minutes = int(parse_duration(length) / dt.timedelta(minutes=1))
    is_link = bool(where and where.startswith(("https://", "http://")))
    if where is not None and len(where) > (500 if is_link else 300):
        raise CourseInputError("where_too_long", str(500 if is_link else 300))
    session = await repos.courses.add_session(
        CourseSession(
            course_id=course.id,
            seq=await repos.courses.next_seq(course.id),
            starts_at=starts_at,
            minutes=minutes,
            link=where if is_link else None,
            place=None if is_link else where,
            cohort=True,
        )
    )
    return await _view(repos, session, course)


async def coordinators(repos: Repos) -> list[Person]:
    return list(await repos.memberships.people_with_role(Role.COORDINATOR))


async def personal_data(repos: Repos, person: Person) -> dict[str, Any]:
    """What /mydata shows of courses: attendance, reminders received, sessions named in."""
    sessions = {s.id: s for s in await repos.courses.sessions()}
    courses = {c.id: c.key for c in await repos.courses.all()}

    def which(session_id: int) -> dict[str, Any]:
        session = sessions[session_id]
        return {"course": courses[session.course_id], "start": session.starts_at.isoformat()}

    return {
        "course_attendance": [
            {**which(a.session_id), "attended": a.present, "marked_at": a.marked_at.isoformat()}
            for a in await repos.courses.attendance_of(person.id)
        ],
        "session_reminders": [
            {**which(r.session_id), "minutes_before": r.before_minutes}
            for r in await repos.courses.reminders_of(person.id)
        ],
        "sessions_named_in": [which(s) for s in sorted(await repos.courses.named_in(person.id))],
        "sessions_speaking": [which(s.id) for s in sessions.values() if s.speaker_id == person.id],
    }
