"""Apply a checked consortium file to the database, and write the database back as one.

Import is idempotent: entries are matched by their stable keys (party key, Telegram id,
student + site + start date), only differences are written, and the report counts them.
A field left out of an entry is left as it is (a language someone chose with /lang
survives a re-import); a listed person's roles become exactly the roles the file lists.
Entities the file does not list (people who joined through an invite) are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.checkin import parse_schedule
from bot.domain.consortium_file import ConsortiumDoc, PersonSpec
from bot.domain.time import format_duration, parse_duration
from bot.services.courses import apply_courses, export_courses
from bot.services.manual import import_manual
from bot.services.oncall import add_override, current_shift_date
from db.models import (
    Chat,
    CheckinPolicy,
    Consortium,
    OncallPolicy,
    Party,
    PartyKind,
    Person,
    Placement,
    PublicHolidays,
    ReportPolicy,
    Role,
)
from db.repositories import Repos


@dataclass
class ImportReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated or +self.removed)

    def summary(self) -> str:
        if not self.changed:
            return "no changes"
        parts = []
        for verb, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("removed", self.removed),
        ):
            items = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()) if n)
            if items:
                parts.append(f"{verb} {items}")
        return "; ".join(parts)


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


async def _upsert(
    report: ImportReport,
    key: str,
    found: Any,
    values: dict[str, Any],
    create: Callable[[], Awaitable[object]],
) -> None:
    """One row of the file: created when there is none, else what differs updated; counted
    under `key` in the report."""
    if found is None:
        await create()
        report.created[key] += 1
    elif _assign(found, values):
        report.updated[key] += 1


def _given(spec: Any, *names: str) -> dict[str, Any]:
    """The named fields that the entry actually states."""
    return {name: getattr(spec, name) for name in names if name in spec.model_fields_set}


async def apply_consortium(repos: Repos, doc: ConsortiumDoc, now: dt.datetime) -> ImportReport:
    """Make the database agree with the file; the caller's transaction makes it all-or-nothing."""
    report = ImportReport()
    await _apply_consortium(repos, doc, report)
    parties = await _apply_parties(repos, doc, report)
    people = await _apply_people(repos, doc, parties, report)
    await _apply_chats(repos, doc, parties, report)
    await _apply_placements(repos, doc, parties, people, report)
    zone = doc.consortium.timezone
    await apply_courses(repos, doc.courses, parties, people, zone, report.created, report.updated)
    await _apply_oncall(repos, doc, parties, people, report, now)
    await _apply_checkin(repos, doc, report)
    await _apply_reports(repos, doc, report)
    await _apply_rules(repos, doc, report)
    if doc.manual is not None and await import_manual(repos, doc.manual, now) is not None:
        report.created["manual versions"] += 1
    return report


# Sections kept whole as the file states them (`bot.services.rules` reads them).
RULE_SECTIONS = ("credits", "topics", "achievements", "digest", "participation", "pace")


def _plain(value: Any) -> Any:
    """JSON values as a person writes them: 40 rather than "40", 0.5 rather than "0.5"."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


async def _apply_rules(repos: Repos, doc: ConsortiumDoc, report: ImportReport) -> None:
    for section in RULE_SECTIONS:
        spec = getattr(doc, section)
        if spec is None:
            continue
        existed = await repos.rules.get(section) is not None
        if await repos.rules.set(section, _plain(spec.model_dump(mode="python"))):
            (report.updated if existed else report.created)[section] += 1


async def _apply_reports(repos: Repos, doc: ConsortiumDoc, report: ImportReport) -> None:
    """The `reports` and `credits` sections share one row of rules."""
    values: dict[str, Any] = {}
    if doc.reports is not None:
        spec = doc.reports
        values |= {
            "reminder": spec.reminder,
            "second_reminder": spec.second_reminder,
            "deadline": spec.deadline,
            "review_after": int(parse_duration(spec.review_reminder).total_seconds()),
            "weights": {kind.value: weight for kind, weight in sorted(spec.weights.items())},
            "disagreement": spec.disagreement,
            "baseline_weeks": spec.baseline_weeks,
            "current_weeks": spec.current_weeks,
        }
    if doc.credits is not None:
        values["credits_per_month"] = str(doc.credits.overseas_per_month.normalize())
    if not values:
        return
    policy = await repos.reports.policy()
    await _upsert(
        report, "reports", policy, values, lambda: repos.reports.add_policy(ReportPolicy(**values))
    )


async def _apply_checkin(repos: Repos, doc: ConsortiumDoc, report: ImportReport) -> None:
    spec = doc.checkin
    if spec is None:
        return
    values: dict[str, Any] = {
        "schedule": str(parse_schedule(spec.schedule)),
        "open_for": int(parse_duration(spec.open_for).total_seconds()),
        "reminders": [int(parse_duration(r).total_seconds()) for r in spec.reminders],
        "holidays": {
            code: sorted(d.isoformat() for d in days)
            for code, days in sorted(spec.holidays.items())
        },
        "public_holidays": spec.public_holidays,
    }
    policy = await repos.checkins.policy()
    await _upsert(
        report,
        "checkin",
        policy,
        values,
        lambda: repos.checkins.add_policy(CheckinPolicy(**values)),
    )


async def _apply_consortium(repos: Repos, doc: ConsortiumDoc, report: ImportReport) -> None:
    spec = doc.consortium
    values = {
        "name": spec.name,
        "timezone": spec.timezone,
        "language": spec.language,
        "country": spec.country,
    }
    current = await repos.consortium.get()
    await _upsert(
        report, "consortium", current, values, lambda: repos.consortium.add(Consortium(**values))
    )


async def _apply_parties(
    repos: Repos, doc: ConsortiumDoc, report: ImportReport
) -> dict[str, Party]:
    parties = {party.key: party for party in await repos.parties.all()}
    for spec in doc.parties:
        values = {"name": spec.name, "kind": spec.kind, **_given(spec, "country", "timezone")}
        party = parties.get(spec.key)
        if party is None:
            parties[spec.key] = await repos.parties.add(Party(key=spec.key, **values))
            report.created["parties"] += 1
        elif _assign(party, values):
            report.updated["parties"] += 1
    await repos.flush()
    return parties


async def _apply_people(
    repos: Repos, doc: ConsortiumDoc, parties: dict[str, Party], report: ImportReport
) -> dict[int, Person]:
    mentor_ids = {tid for p in doc.placements for tid in p.mentors.values()}
    mentor_ids |= {tid for spec in doc.oncall.values() for tid in spec.rotation}
    mentor_ids |= {o.person for spec in doc.oncall.values() for o in spec.overrides}
    people = await repos.people.by_telegram_ids(
        [spec.telegram_id for spec in doc.people] + list(mentor_ids)
    )
    for spec in doc.people:
        values = _given(spec, "name", "language", "timezone")
        person = people.get(spec.telegram_id)
        if person is None:
            person = await repos.people.add(Person(telegram_id=spec.telegram_id, **values))
            people[spec.telegram_id] = person
            report.created["people"] += 1
        elif _assign(person, values):
            report.updated["people"] += 1
        await _apply_memberships(repos, person, spec, parties, report)
    # Mentors and on-call people named only by id: known by Telegram id until they join.
    for telegram_id in sorted(mentor_ids - set(people)):
        people[telegram_id] = await repos.people.add(Person(telegram_id=telegram_id))
        report.created["people"] += 1
    await repos.flush()
    return people


async def _apply_memberships(
    repos: Repos, person: Person, spec: PersonSpec, parties: dict[str, Party], report: ImportReport
) -> None:
    wanted = {(parties[key].id, role) for key, role in spec.all_memberships()}
    current = {(m.party_id, m.role): m for m in await repos.memberships.of_person(person.id)}
    for pair in sorted(wanted - set(current)):
        await repos.memberships.add(person.id, pair[0], pair[1])
        report.created["roles"] += 1
    for pair in set(current) - wanted:
        await repos.memberships.remove(current[pair])
        report.removed["roles"] += 1


async def _apply_chats(
    repos: Repos, doc: ConsortiumDoc, parties: dict[str, Party], report: ImportReport
) -> None:
    for spec in doc.chats:
        values: dict[str, Any] = {"linked": True, **_given(spec, "title", "language")}
        if "party" in spec.model_fields_set:
            values["party_id"] = parties[spec.party].id if spec.party else None
        chat = await repos.chats.by_telegram_id(spec.telegram_id)
        if chat is None:
            await repos.chats.add(Chat(telegram_id=spec.telegram_id, **values))
            report.created["chats"] += 1
        elif _assign(chat, values):
            report.updated["chats"] += 1


async def _apply_placements(
    repos: Repos,
    doc: ConsortiumDoc,
    parties: dict[str, Party],
    people: dict[int, Person],
    report: ImportReport,
) -> None:
    for spec in doc.placements:
        student = people[spec.student]
        site = parties[spec.site]
        placement = await repos.placements.find(student.id, site.id, spec.start)
        if placement is None:
            placement = await repos.placements.add(
                Placement(
                    student_id=student.id, site_id=site.id, start_date=spec.start, end_date=spec.end
                )
            )
            await repos.placements.load_mentors(placement)
            report.created["placements"] += 1
            is_new = True
        else:
            is_new = False
        changed = _assign(placement, {"end_date": spec.end})
        mentors = {kind.value: people[tid].id for kind, tid in spec.mentors.items()}
        changed = await repos.placements.set_mentors(placement, mentors) or changed
        if changed and not is_new:
            report.updated["placements"] += 1


async def _apply_oncall(
    repos: Repos,
    doc: ConsortiumDoc,
    parties: dict[str, Party],
    people: dict[int, Person],
    report: ImportReport,
    now: dt.datetime,
) -> None:
    for key, spec in doc.oncall.items():
        party = parties[key]
        zone = party.timezone or doc.consortium.timezone
        values: dict[str, Any] = {
            "period": spec.period.value,
            "handoff": spec.handoff,
            "escalation": [
                {
                    "after": int(parse_duration(step.after).total_seconds()),
                    "notify": step.notify.value,
                }
                for step in spec.escalation
            ],
            "quiet": spec.quiet,
        }
        policy = await repos.oncall.policy(party.id)
        if spec.starts_on is not None:
            values["starts_on"] = spec.starts_on
        elif policy is None or policy.handoff != spec.handoff or policy.period != spec.period:
            values["starts_on"] = current_shift_date(spec.period, spec.handoff, zone, now)
        rotation = [people[tid].id for tid in spec.rotation]
        if policy is None:
            await repos.oncall.add_policy(OncallPolicy(party_id=party.id, **values))
            await repos.oncall.set_rotation(party.id, rotation)
            report.created["oncall"] += 1
        else:
            changed = _assign(policy, values)
            if await repos.oncall.set_rotation(party.id, rotation) or changed:
                report.updated["oncall"] += 1
        for override in spec.overrides:
            starts = override.start.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
            ends = override.end.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
            person = people[override.person]
            existing = await repos.oncall.find_override(party.id, person.id, starts)
            if existing is None:
                await add_override(repos, party, person, starts, ends, None)
                report.created["overrides"] += 1
            elif _assign(existing, {"ends_at": ends}):
                report.updated["overrides"] += 1


async def export_consortium(repos: Repos) -> dict[str, Any]:
    """The database in the consortium file's form (what `import` reads back unchanged)."""
    consortium = await repos.consortium.get()
    if consortium is None:
        raise LookupError("no consortium has been imported yet")
    parties = await repos.parties.all()
    by_id = {party.id: party for party in parties}
    people = await repos.people.all()
    people_by_id = {person.id: person for person in people}
    roles: dict[int, dict[str, list[str]]] = {}
    for membership in await repos.memberships.all():
        person_roles = roles.setdefault(membership.person_id, {})
        person_roles.setdefault(by_id[membership.party_id].key, []).append(membership.role.value)
    return {
        "consortium": {
            "name": consortium.name,
            "timezone": consortium.timezone,
            "language": consortium.language,
            **({"country": consortium.country} if consortium.country else {}),
        },
        "parties": [_export_party(party) for party in parties],
        "people": [
            _export_person(p, roles.get(p.id, {})) for p in people if p.name or p.id in roles
        ],
        "chats": [_export_chat(chat, by_id) for chat in await repos.chats.all() if chat.linked],
        "placements": [
            _export_placement(pl, by_id, people_by_id) for pl in await repos.placements.all()
        ],
        "oncall": await _export_oncall(repos, by_id, people_by_id, consortium.timezone),
        "courses": await export_courses(repos, consortium.timezone),
        "checkin": await _export_checkin(repos),
        **await _export_reports(repos),
        **({"manual": manual.content} if (manual := await repos.manual.latest()) else {}),
        **{
            section: values
            for section in RULE_SECTIONS
            if (values := await repos.rules.get(section)) is not None
        },
    }


async def _export_reports(repos: Repos) -> dict[str, Any]:
    policy = await repos.reports.policy()
    if policy is None:
        return {}
    return {
        "reports": {
            "reminder": policy.reminder,
            "second_reminder": policy.second_reminder,
            "deadline": policy.deadline,
            "review_reminder": format_duration(dt.timedelta(seconds=policy.review_after)),
            **({"weights": policy.weights} if policy.weights else {}),
            "disagreement": policy.disagreement,
            "baseline_weeks": policy.baseline_weeks,
            "current_weeks": policy.current_weeks,
        },
        "credits": {"overseas_per_month": float(policy.credits_per_month)},
    }


async def _export_checkin(repos: Repos) -> dict[str, Any] | None:
    policy = await repos.checkins.policy()
    if policy is None:
        return None
    entry: dict[str, Any] = {
        "schedule": policy.schedule,
        "open_for": format_duration(dt.timedelta(seconds=policy.open_for)),
        "reminders": [format_duration(dt.timedelta(seconds=r)) for r in policy.reminders],
    }
    if policy.holidays:
        entry["holidays"] = policy.holidays
    if policy.public_holidays is not PublicHolidays.CONSORTIUM:
        entry["public_holidays"] = policy.public_holidays.value
    return entry


async def _export_oncall(
    repos: Repos, parties: dict[int, Party], people: dict[int, Person], consortium_tz: str
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for policy in sorted(await repos.oncall.policies(), key=lambda p: parties[p.party_id].key):
        party = parties[policy.party_id]
        zone = ZoneInfo(party.timezone or consortium_tz)
        entry: dict[str, Any] = {
            "rotation": [people[pid].telegram_id for pid in await repos.oncall.rotation(party.id)],
            "period": policy.period,
            "handoff": policy.handoff,
            "escalation": [
                {"after": format_duration(dt.timedelta(seconds=s["after"])), "notify": s["notify"]}
                for s in policy.escalation
            ],
            "quiet": policy.quiet,
            "starts_on": policy.starts_on.isoformat(),
        }
        overrides = await repos.oncall.overrides(party.id, dt.datetime.min.replace(tzinfo=dt.UTC))
        if overrides:
            entry["overrides"] = [
                {
                    "person": people[o.person_id].telegram_id,
                    "start": o.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "end": o.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                }
                for o in overrides
            ]
        result[party.key] = entry
    return result


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _export_party(party: Party) -> dict[str, Any]:
    return _drop_none(
        {
            "key": party.key,
            "name": party.name,
            "kind": party.kind.value,
            "country": party.country,
            "timezone": party.timezone,
        }
    )


def _export_person(person: Person, roles: dict[str, list[str]]) -> dict[str, Any]:
    entry: dict[str, Any] = _drop_none({"telegram_id": person.telegram_id, "name": person.name})
    if len(roles) == 1:
        ((party_key, party_roles),) = roles.items()
        entry |= {"party": party_key, "roles": _role_order(party_roles)}
    elif roles:
        entry["memberships"] = [
            {"party": key, "roles": _role_order(r)} for key, r in sorted(roles.items())
        ]
    return entry | _drop_none({"language": person.language, "timezone": person.timezone})


def _role_order(roles: list[str]) -> list[str]:
    order = [role.value for role in Role]
    return sorted(roles, key=order.index)


def _export_chat(chat: Chat, parties: dict[int, Party]) -> dict[str, Any]:
    party = parties[chat.party_id].key if chat.party_id else None
    return _drop_none(
        {
            "telegram_id": chat.telegram_id,
            "title": chat.title,
            "party": party,
            "language": chat.language,
        }
    )


def _export_placement(
    placement: Placement, parties: dict[int, Party], people: dict[int, Person]
) -> dict[str, Any]:
    order = [kind.value for kind in PartyKind]
    mentors = sorted(placement.mentors, key=lambda m: order.index(m.party_kind.value))
    entry: dict[str, Any] = {
        "student": people[placement.student_id].telegram_id,
        "site": parties[placement.site_id].key,
        "start": placement.start_date.isoformat(),
        "end": placement.end_date.isoformat(),
    }
    if mentors:
        entry["mentors"] = {m.party_kind.value: people[m.person_id].telegram_id for m in mentors}
    return entry
