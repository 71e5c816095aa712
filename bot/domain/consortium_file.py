"""The consortium file: its schema, and every problem in it listed with its place.

Parsing and checking are pure (no database); `bot.services.consortium` applies a checked
document to the database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.checkin import parse_open_for, parse_schedule
from bot.domain.courses import CourseSpec, PaceSpec, PartyRef, course_problems
from bot.domain.kinds import PartyKind, PublicHolidays, Role
from bot.domain.manual import ManualSpec
from bot.domain.oncall import Notify, Period, parse_handoff, parse_quiet
from bot.domain.participation import ParticipationSpec, placement_problems
from bot.domain.reports import ReportCalendar
from bot.domain.revenue import known_currency
from bot.domain.time import parse_duration


class ConsortiumFileError(Exception):
    """The file is wrong; `problems` lists each problem as 'place: what'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@cache
def _countries() -> frozenset[str]:
    return frozenset(
        code for code in Locale("en").territories if isinstance(code, str) and code.isalpha()
    )


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _check_country(value: str) -> str:
    code = value.upper()
    if code not in _countries():
        raise ValueError(f"unknown country code {value!r} (ISO 3166, e.g. CN, TH)")
    return code


Country = Annotated[str, AfterValidator(_check_country)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Language = Literal["en", "zh"]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]


class ConsortiumSpec(_Spec):
    name: Name
    timezone: TimeZone = "UTC"
    language: Language = "en"
    country: Country | None = None  # whose public holidays move a check-in


class PartySpec(_Spec):
    key: Key
    name: Name
    kind: PartyKind
    country: Country | None = None
    timezone: TimeZone | None = None


class MembershipSpec(_Spec):
    party: Key
    roles: list[Role] = Field(min_length=1)


class PersonSpec(_Spec):
    telegram_id: int = Field(gt=0)
    name: Name | None = None
    party: Key | None = None
    roles: list[Role] = Field(default_factory=list)
    memberships: list[MembershipSpec] = Field(default_factory=list)
    language: Language | None = None
    timezone: TimeZone | None = None

    def all_memberships(self) -> list[tuple[str, Role]]:
        pairs = [(self.party, role) for role in self.roles if self.party]
        pairs += [(m.party, role) for m in self.memberships for role in m.roles]
        return list(dict.fromkeys(pairs))


class ChatSpec(_Spec):
    telegram_id: int
    title: str | None = Field(default=None, max_length=255)
    party: Key | None = None
    language: Language | None = None


class PlacementSpec(_Spec):
    student: int
    site: Key
    start: dt.date
    end: dt.date
    mentors: dict[PartyKind, int] = Field(default_factory=dict)


def _check(parser: Any) -> Any:
    def check(value: str) -> str:
        parser(value)
        return value

    return check


Duration = Annotated[str, AfterValidator(_check(parse_duration))]
Quiet = Annotated[str, AfterValidator(_check(parse_quiet))]
LocalTime = Annotated[dt.datetime, Field(description="local time of the party, no zone")]


class EscalationSpec(_Spec):
    after: Duration
    notify: Notify


class OverrideSpec(_Spec):
    person: int = Field(gt=0)
    start: LocalTime
    end: LocalTime

    @field_validator("start", "end")
    @classmethod
    def _naive(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is not None:
            raise ValueError("give the party's local time without a zone, e.g. 2026-12-01 09:00")
        return value


class OncallSpec(_Spec):
    rotation: list[int] = Field(min_length=1)
    period: Period = Period.WEEKLY
    handoff: str = "mon 09:00"
    escalation: list[EscalationSpec] = Field(
        default_factory=lambda: [
            EscalationSpec(after="30m", notify=Notify.NEXT),
            EscalationSpec(after="2h", notify=Notify.COORDINATORS),
        ],
        min_length=1,
    )
    quiet: Quiet = "22:00-08:00"
    starts_on: dt.date | None = None
    overrides: list[OverrideSpec] = Field(default_factory=list)

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, value: str, info: ValidationInfo) -> str:
        parse_handoff(value, info.data.get("period", Period.WEEKLY))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> OncallSpec:
        afters = [parse_duration(step.after) for step in self.escalation]
        if afters != sorted(afters):
            raise ValueError("escalation: steps must come in order of 'after'")
        for override in self.overrides:
            if override.end <= override.start:
                raise ValueError(f"overrides: {override.end} is not after {override.start}")
        return self


class CheckinSpec(_Spec):
    schedule: Annotated[str, AfterValidator(_check(parse_schedule))] = "first mon 10:00"
    open_for: Annotated[str, AfterValidator(_check(parse_open_for))] = "72h"
    reminders: list[Duration] = Field(default_factory=lambda: ["24h"])
    holidays: dict[str, list[dt.date]] = Field(default_factory=dict)
    # Whose public holidays (from the `holidays` package) move a check-in, besides the
    # `holidays` listed: the consortium's country, also every party's, or none.
    public_holidays: PublicHolidays = PublicHolidays.CONSORTIUM

    @field_validator("holidays")
    @classmethod
    def _countries(cls, value: dict[str, list[dt.date]]) -> dict[str, list[dt.date]]:
        unknown = [code for code in value if code.upper() not in _countries()]
        if unknown:
            raise ValueError(f"unknown country code {unknown[0]!r} (ISO 3166, e.g. CN, TH)")
        return {code.upper(): days for code, days in value.items()}

    @model_validator(mode="after")
    def _reminders_fit(self) -> CheckinSpec:
        window = parse_duration(self.open_for)
        for reminder in self.reminders:
            if parse_duration(reminder) >= window:
                raise ValueError(f"reminders: {reminder} is not within open_for {self.open_for}")
        return self


class ReportsSpec(_Spec):
    """Weekly reports: when students are reminded and when reports are due (in each
    student's zone), and how the parties' scores are combined."""

    reminder: str = "fri 17:00"
    second_reminder: str = "mon 09:00"  # in the following week
    deadline: str = "mon 12:00"  # in the following week
    review_reminder: Duration = "3d"  # mentors reminded of reports waiting this long
    weights: dict[PartyKind, Annotated[float, Field(gt=0, le=100)]] = Field(default_factory=dict)
    disagreement: int = Field(default=20, ge=0, le=100)
    baseline_weeks: int = Field(default=2, ge=1, le=26)
    current_weeks: int = Field(default=4, ge=1, le=26)

    @model_validator(mode="after")
    def _calendar(self) -> ReportsSpec:
        ReportCalendar.parse(self.reminder, self.second_reminder, self.deadline)
        return self


class CreditsSpec(_Spec):
    """Credits for every kind of practice: per full calendar month abroad, per complete
    block of enterprise training hours, per accepted report cycle of a research topic."""

    overseas_per_month: Decimal = Field(default=Decimal(2), ge=0, le=30, decimal_places=2)
    training_hours_per_credit: Decimal = Field(default=Decimal(40), gt=0, le=1000, decimal_places=2)
    training_credits: Decimal = Field(default=Decimal(1), ge=0, le=30, decimal_places=2)
    per_topic_cycle: Decimal = Field(default=Decimal(1), ge=0, le=30, decimal_places=2)


Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


def _check_currency(value: str) -> str:
    if not known_currency(value):
        raise ValueError(f"unknown currency {value!r} (ISO 4217, e.g. CNY, USD, EUR)")
    return value.upper()


class TopicsSpec(_Spec):
    """Research topics: how often a running topic's team reports."""

    cycle_days: int = Field(default=14, ge=7, le=92)


class AchievementsSpec(_Spec):
    """How revenue from an achievement is split (percent of the revenue)."""

    shares: dict[PartyKind, Percent] = Field(
        default_factory=lambda: {
            PartyKind.RESEARCH: Decimal(40),
            PartyKind.ENTERPRISE: Decimal(30),
            PartyKind.UNIVERSITY: Decimal(20),
        }
    )
    students: Percent = Decimal(10)
    students_raised: Percent = Decimal(15)
    raised_at: Percent = Decimal(50)  # the students' participation rate that raises it
    currency: Annotated[str, AfterValidator(_check_currency)] = "CNY"

    @model_validator(mode="after")
    def _adds_up(self) -> AchievementsSpec:
        total = sum(self.shares.values(), Decimal(0)) + self.students
        if total != 100:
            raise ValueError(f"shares and students add up to {total}%, not 100%")
        if not self.students <= self.students_raised < 100:
            raise ValueError("students_raised must be from students up to (not) 100")
        return self


class DigestSpec(_Spec):
    """The coordinators' monthly digest: when it comes, and the thresholds under which a
    party's month is weak (two weak months in a row flag the party)."""

    day: int = Field(default=1, ge=1, le=28)  # of the month, for the month before
    time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "09:00"
    checkin_attendance: Percent = Decimal(50)
    response_time: Duration = "4h"
    scored_on_time: Percent = Decimal(70)
    topics_answered: Percent = Decimal(80)


class ConsortiumDoc(_Spec):
    consortium: ConsortiumSpec
    parties: list[PartySpec] = Field(default_factory=list)
    people: list[PersonSpec] = Field(default_factory=list)
    chats: list[ChatSpec] = Field(default_factory=list)
    placements: list[PlacementSpec] = Field(default_factory=list)
    oncall: dict[Key, OncallSpec] = Field(default_factory=dict)
    checkin: CheckinSpec | None = None
    reports: ReportsSpec | None = None
    credits: CreditsSpec | None = None
    topics: TopicsSpec | None = None
    achievements: AchievementsSpec | None = None
    digest: DigestSpec | None = None
    manual: ManualSpec | None = None  # bot.domain.manual
    participation: ParticipationSpec | None = None  # bot.domain.participation
    courses: list[CourseSpec] = Field(default_factory=list)
    pace: PaceSpec | None = None


# Sections that hold one mapping of settings.
_SETTINGS: dict[str, type[BaseModel]] = {
    "checkin": CheckinSpec,
    "reports": ReportsSpec,
    "credits": CreditsSpec,
    "topics": TopicsSpec,
    "achievements": AchievementsSpec,
    "digest": DigestSpec,
    "manual": ManualSpec,
    "participation": ParticipationSpec,
    "pace": PaceSpec,
}


def _place(loc: Iterable[Any]) -> str:
    place = ""
    for part in loc:
        if isinstance(part, int):
            place += f"[{part}]"
        else:
            place += f".{part}" if place else str(part)
    return place or "file"


def _found(value: Any) -> str:
    """The value the file gave, quoted as the reader wrote it (cut when long)."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _pydantic_problems(error: ValidationError, prefix: tuple[Any, ...]) -> list[str]:
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required"
        elif item["type"] != "value_error" and isinstance(item.get("input"), str | int | float):
            # pydantic's own messages say what was expected, not what was found; ours
            # (value_error) quote it already.
            message += f", not {_found(item['input'])}"
        problems.append(f"{_place(prefix + tuple(item['loc']))}: {message}")
    return problems


_SECTIONS: dict[str, type[BaseModel]] = {
    "parties": PartySpec,
    "people": PersonSpec,
    "chats": ChatSpec,
    "placements": PlacementSpec,
    "courses": CourseSpec,
}


Positions = dict[str, list[int]]


def _validate_entries(data: dict[str, Any]) -> tuple[ConsortiumDoc, set[str], Positions, list[str]]:
    """Check each entry on its own, so that one bad entry hides no other problem.

    Returns the valid entries, the keys of every party entry (valid or not), where each valid
    entry stands in the file, and the problems.
    """
    known = {"consortium", "oncall", *_SETTINGS, *_SECTIONS}
    problems = [f"{key}: unknown section" for key in data if key not in known]
    valid: dict[str, Any] = {}
    try:
        valid["consortium"] = ConsortiumSpec.model_validate(data.get("consortium"))
    except ValidationError as exc:
        problems += _pydantic_problems(exc, ("consortium",))
    party_keys: set[str] = set()
    positions: Positions = {}
    for section, model in _SECTIONS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            problems.append(f"{section}: expected a list")
            entries = []
        valid[section], positions[section] = [], []
        for i, entry in enumerate(entries):
            if (
                section == "parties"
                and isinstance(entry, dict)
                and isinstance(entry.get("key"), str)
            ):
                party_keys.add(entry["key"])
            try:
                valid[section].append(model.model_validate(entry))
                positions[section].append(i)
            except ValidationError as exc:
                problems += _pydantic_problems(exc, (section, i))
    valid["oncall"] = {}
    oncall = data.get("oncall") or {}
    if not isinstance(oncall, dict):
        problems.append("oncall: expected a mapping of party keys")
        oncall = {}
    for key, entry in oncall.items():
        if str(key) not in party_keys:
            problems.append(f"oncall.{key}: unknown party {str(key)!r}")
        try:
            valid["oncall"][str(key)] = OncallSpec.model_validate(entry)
        except ValidationError as exc:
            problems += _pydantic_problems(exc, ("oncall", key))
    for section, settings in _SETTINGS.items():
        if data.get(section) is None:
            continue
        try:
            valid[section] = settings.model_validate(data[section])
        except ValidationError as exc:
            problems += _pydantic_problems(exc, (section,))
    doc = ConsortiumDoc.model_construct(**valid)
    return doc, party_keys, positions, problems


def _duplicates(values: list[Any]) -> set[Any]:
    return {value for value, count in Counter(values).items() if count > 1}


def cross_check(
    doc: ConsortiumDoc, party_keys: set[str] | None = None, positions: Positions | None = None
) -> list[str]:
    """Problems that span entries: unknown references, duplicates, wrong kinds.

    `party_keys` names parties whose entries exist but have problems of their own, so that
    references to them are not reported again as unknown; `positions` tells where each
    entry stands in the file when invalid entries were left out of `doc`.
    """
    problems: list[str] = []

    def at(section: str, entries: list[Any]) -> list[tuple[int, Any]]:
        places = (positions or {}).get(section) or list(range(len(entries)))
        return list(zip(places, entries, strict=True))

    parties = {party.key: party for party in doc.parties}
    known_keys = set(parties) | (party_keys or set())
    for key in _duplicates([party.key for party in doc.parties]):
        problems += [
            f"parties[{i}].key: duplicate key {key!r}"
            for i, p in at("parties", doc.parties)
            if p.key == key
        ][1:]

    def known_party(place: str, key: str | None) -> None:
        if key is not None and key not in known_keys:
            problems.append(f"{place}: unknown party {key!r}")

    seen_people: dict[int, int] = {}
    for i, person in at("people", doc.people):
        if person.telegram_id in seen_people:
            problems.append(
                f"people[{i}].telegram_id: {person.telegram_id} is already "
                f"people[{seen_people[person.telegram_id]}]"
            )
        seen_people.setdefault(person.telegram_id, i)
        known_party(f"people[{i}].party", person.party)
        if person.roles and person.party is None:
            problems.append(f"people[{i}].roles: roles need a party")
        if person.party is not None and not person.roles:
            problems.append(f"people[{i}].roles: required with party")
        for j, membership in enumerate(person.memberships):
            known_party(f"people[{i}].memberships[{j}].party", membership.party)

    seen_chats: set[int] = set()
    for i, chat in at("chats", doc.chats):
        if chat.telegram_id in seen_chats:
            problems.append(f"chats[{i}].telegram_id: duplicate chat {chat.telegram_id}")
        seen_chats.add(chat.telegram_id)
        known_party(f"chats[{i}].party", chat.party)

    students = {
        person.telegram_id
        for person in doc.people
        if any(role is Role.STUDENT for _, role in person.all_memberships())
    }
    seen_placements: set[tuple[int, str, dt.date]] = set()
    for i, placement in at("placements", doc.placements):
        if placement.student not in students:
            problems.append(
                f"placements[{i}].student: {placement.student} is not a student in people"
            )
        site = parties.get(placement.site)
        known_party(f"placements[{i}].site", placement.site)
        if site is not None and site.kind is not PartyKind.OVERSEAS_SITE:
            problems.append(
                f"placements[{i}].site: party {placement.site!r} is a {site.kind.value}, "
                "not an overseas_site"
            )
        if placement.end < placement.start:
            problems.append(
                f"placements[{i}].end: {placement.end} is before start {placement.start}"
            )
        key = (placement.student, placement.site, placement.start)
        if key in seen_placements:
            problems.append(
                f"placements[{i}]: duplicate placement for this student, site and start"
            )
        seen_placements.add(key)
        for kind, mentor in placement.mentors.items():
            if mentor <= 0:
                problems.append(f"placements[{i}].mentors.{kind.value}: not a Telegram user id")
            if mentor == placement.student:
                problems.append(
                    f"placements[{i}].mentors.{kind.value}: the student cannot mentor themself"
                )
    if doc.participation is not None:
        mentors = [(i, p.mentors) for i, p in at("placements", doc.placements)]
        problems += placement_problems(doc.participation.required, mentors)
    for key, spec in (doc.oncall or {}).items():
        if len(set(spec.rotation)) != len(spec.rotation):
            problems.append(f"oncall.{key}.rotation: a person is listed twice")
    refs = {key: PartyRef(p.kind, p.timezone) for key, p in parties.items()}
    people = {person.telegram_id for person in doc.people}
    known = {**dict.fromkeys(known_keys), **refs}
    return problems + course_problems(at("courses", doc.courses), known, people, students)


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a wrong date is reported with its place."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_consortium_file(text: str) -> ConsortiumDoc:
    """Parse and check a consortium file; raise ConsortiumFileError listing every problem."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConsortiumFileError([f"{where}: not valid YAML ({problem})"]) from None
    if not isinstance(data, dict):
        raise ConsortiumFileError(["file: expected a mapping with a 'consortium' section"])
    doc, party_keys, positions, problems = _validate_entries(data)
    problems += cross_check(doc, party_keys, positions)
    if problems:
        raise ConsortiumFileError(problems)
    return doc


def dump_consortium_file(data: dict[str, Any]) -> str:
    """YAML in the file's own form: one flow mapping per entry, as people write it."""
    lines = ["consortium: " + _flow(data["consortium"])]
    for section in ("parties", "people", "chats", "placements", "courses"):
        entries = data.get(section) or []
        if not entries:
            continue
        lines.append(f"{section}:")
        lines += [f"  - {_flow(entry)}" for entry in entries]
    for section in _SETTINGS:
        if data.get(section):
            lines.append(f"{section}: " + _flow(data[section]))
    if data.get("oncall"):
        lines.append("oncall:")
        lines += [f"  {key}: {_flow(entry)}" for key, entry in data["oncall"].items()]
    return "\n".join(lines) + "\n"


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=10_000
    ).strip()
