"""On-call rotations from the database: who is on call, managing rotations and overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.oncall import (
    DEFAULT_QUIET,
    DEFAULT_STEPS,
    Notify,
    OnCall,
    Override,
    Period,
    QuietHours,
    Rotation,
    Step,
    on_call,
    parse_handoff,
    parse_quiet,
    shift_start,
)
from bot.domain.time import first_zone, local_today
from db.models import OncallOverride, OncallPolicy, Party, Person, Role
from db.repositories import Repos


@dataclass(frozen=True)
class PartyOncall:
    party: Party
    rotation: Rotation
    overrides: tuple[Override, ...]
    steps: tuple[Step, ...]
    quiet: QuietHours
    timezone: str

    def at(self, when: dt.datetime) -> OnCall:
        return on_call(self.rotation, self.overrides, when)


async def zone_of(repos: Repos, party: Party | None, default: str) -> str:
    """A party's time zone, else the consortium's, else the default."""
    if party is not None and party.timezone:
        return party.timezone
    return first_zone(await repos.consortium.get(), default=default)


async def person_zone(repos: Repos, person: Person, party: Party | None, default: str) -> str:
    return person.timezone or await zone_of(repos, party, default)


def steps_of(policy: OncallPolicy | None) -> tuple[Step, ...]:
    if policy is None or not policy.escalation:
        return DEFAULT_STEPS
    return tuple(
        Step(dt.timedelta(seconds=int(s["after"])), Notify(s["notify"])) for s in policy.escalation
    )


async def party_oncall(
    repos: Repos, party: Party, now: dt.datetime, default_tz: str
) -> PartyOncall:
    """The party's rotation (empty when none is set), overrides still to come, and rules."""
    policy, members = await repos.oncall.policy_and_rotation(party.id)
    zone = await zone_of(repos, party, default_tz)
    period = Period(policy.period) if policy else Period.WEEKLY
    rotation = Rotation(
        members=tuple(members),
        handoff=parse_handoff(policy.handoff, period)
        if policy
        else parse_handoff("mon 09:00", period),
        period=period,
        timezone=zone,
        starts_on=policy.starts_on if policy else local_today(now, zone),
    )
    overrides = tuple(
        Override(o.person_id, o.starts_at, o.ends_at, o.created_at)
        for o in await repos.oncall.overrides(party.id, now)
    )
    quiet = parse_quiet(policy.quiet) if policy else DEFAULT_QUIET
    return PartyOncall(party, rotation, overrides, steps_of(policy), quiet, zone)


async def party_contacts(repos: Repos, party_id: int) -> list[Person]:
    """The party's contact persons (used when it has no rotation)."""
    return list(await repos.memberships.people_of_party(party_id, Role.CONTACT))


async def not_contacts(repos: Repos, party: Party, people: list[Person]) -> list[Person]:
    """Those of `people` who are not the party's contacts: only its own contacts can be on
    its rotation or cover it (a student or another party's contact answers nothing there)."""
    contacts = {p.id for p in await party_contacts(repos, party.id)}
    return [p for p in people if p.id not in contacts]


async def may_manage(repos: Repos, person: Person | None, party: Party) -> bool:
    """Coordinators, and the party's own contacts, manage its rotation."""
    if person is None:
        return False
    for membership in await repos.memberships.of_person(person.id):
        if membership.role is Role.COORDINATOR:
            return True
        if membership.role is Role.CONTACT and membership.party_id == party.id:
            return True
    return False


async def ensure_policy(
    repos: Repos, party: Party, now: dt.datetime, default_tz: str
) -> OncallPolicy:
    policy = await repos.oncall.policy(party.id)
    if policy is None:
        zone = await zone_of(repos, party, default_tz)
        policy = await repos.oncall.add_policy(
            OncallPolicy(
                party_id=party.id,
                period=Period.WEEKLY.value,
                handoff="mon 09:00",
                starts_on=current_shift_date(Period.WEEKLY, "mon 09:00", zone, now),
                escalation=[
                    {"after": int(s.after.total_seconds()), "notify": s.notify.value}
                    for s in DEFAULT_STEPS
                ],
                quiet=str(DEFAULT_QUIET),
            )
        )
    return policy


def current_shift_date(period: Period, handoff: str, zone: str, now: dt.datetime) -> dt.date:
    """The local date of the hand-off that began the shift running at `now`."""
    probe = Rotation((0,), parse_handoff(handoff, period), period, zone, dt.date(2000, 1, 3))
    return shift_start(probe, now)[0]


async def add_override(
    repos: Repos,
    party: Party,
    person: Person,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    creator: Person | None,
) -> OncallOverride:
    existing = await repos.oncall.find_override(party.id, person.id, starts_at)
    if existing is not None:
        existing.ends_at = ends_at
        return existing
    return await repos.oncall.add_override(
        OncallOverride(
            party_id=party.id,
            person_id=person.id,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by_id=creator.id if creator else None,
        )
    )
