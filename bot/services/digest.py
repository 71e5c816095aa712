"""The coordinators' monthly digest: each party's month measured from what the bot saw
(check-in votes, on-call acknowledgements, mentors' scores, answers to applications),
compared with the thresholds, and flagged after two weak months in a row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.domain.digest import (
    ANSWER_WITHIN,
    Figures,
    Thresholds,
    below,
    median_minutes,
    month_of,
    next_month,
    previous_month,
    rate,
)
from bot.services import participation, reports, rules
from db.models import Party, PartyKind, PartyMonth, Person, Role
from db.repositories import Repos


def bounds(month: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The month from its first midnight to the next month's, in the consortium's zone."""
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(month, dt.time(0), tz)
    return start, dt.datetime.combine(next_month(month), dt.time(0), tz)


async def _mentor_party(
    repos: Repos, mentor_id: int | None, kind: PartyKind, cache: dict[tuple[int, str], int | None]
) -> int | None:
    """The party (of the scores' kind) a mentor scored for."""
    if mentor_id is None:
        return None
    key = (mentor_id, kind.value)
    if key not in cache:
        cache[key] = None
        for membership in await repos.memberships.of_person(mentor_id):
            party = await repos.parties.by_id(membership.party_id)
            if party is not None and party.kind is kind and membership.role is Role.MENTOR:
                cache[key] = party.id
                break
    return cache[key]


async def measure(repos: Repos, month: dt.date, zone: str, now: dt.datetime) -> dict[int, Figures]:
    """Every party's figures for the month (as far as `now` can tell)."""
    start, end = bounds(month, zone)
    until = min(end, now)
    parties = list(await repos.parties.all())
    review_after = (await reports.rules(repos)).review_after
    checkins = await repos.checkins.opened_between(start, end)
    requests = await repos.requests.opened_between(start, end)
    scores: dict[int, list[bool]] = {}
    cache: dict[tuple[int, str], int | None] = {}
    weekly = await repos.assessments.requested_between(start, end)
    topical = await repos.topics.assessments_requested(start, end)
    asked = [(a.party_kind, a.mentor_id, a.requested_at, a.completed_at) for a in weekly]
    asked += [(a.party_kind, a.mentor_id, a.requested_at, a.completed_at) for a in topical]
    for kind, mentor_id, requested_at, completed_at in asked:
        party_id = await _mentor_party(repos, mentor_id, kind, cache)
        if party_id is None or requested_at is None:
            continue
        deadline = requested_at + review_after
        if completed_at is not None:
            scores.setdefault(party_id, []).append(completed_at <= deadline)
        elif deadline <= until:
            scores.setdefault(party_id, []).append(False)
        # else: still within its time; not counted yet
    found = {}
    for party in parties:
        attended = sum(1 for c in checkins if (c.summary or {}).get("parties", {}).get(party.key))
        mine = [r for r in requests if r.party_id == party.id]
        waits = [
            (r.acknowledged_at - (r.delivered_at or r.opened_at)) if r.acknowledged_at else None
            for r in mine
        ]
        answered: list[bool] = []
        for application in await repos.topics.applications_to_party(party.id, start, end):
            if application.decided_at is not None:
                answered.append(application.decided_at - application.applied_at <= ANSWER_WITHIN)
            elif application.applied_at + ANSWER_WITHIN <= until:
                answered.append(False)
        on_time = scores.get(party.id, [])
        found[party.id] = Figures(
            checkins=len(checkins),
            checkin_attendance=rate(attended, len(checkins)),
            requests=len(mine),
            unacknowledged=sum(1 for w in waits if w is None),
            response_minutes=median_minutes(waits),
            scores_due=len(on_time),
            scored_on_time=rate(sum(on_time), len(on_time)),
            applications=len(answered),
            topics_answered=rate(sum(answered), len(answered)),
        )
    return found


@dataclass
class PartyDigest:
    party: Party
    figures: Figures
    below: list[str]
    flagged: bool
    below_before: list[str]
    # Its mentors below the least share of weeks scored (mandatory participation), now.
    mentors_below: list[participation.Below] = field(default_factory=list)


@dataclass
class Digest:
    month: dt.date
    parties: list[PartyDigest]
    thresholds: Thresholds
    coordinators: list[Person]


async def _month_rows(
    repos: Repos, month: dt.date, zone: str, now: dt.datetime, thresholds: Thresholds
) -> dict[int, tuple[Figures, list[str]]]:
    stored = await repos.digests.of_month(month)
    if stored:
        return {
            pid: (Figures.from_json(row.figures), list(row.below)) for pid, row in stored.items()
        }
    measured = await measure(repos, month, zone, now)
    return {pid: (f, below(f, thresholds)) for pid, f in measured.items()}


async def build(repos: Repos, month: dt.date, zone: str, now: dt.datetime) -> Digest:
    """The digest of a month, from what was recorded when it was sent, else measured now."""
    _, thresholds = await rules.digest(repos)
    this = await _month_rows(repos, month, zone, now, thresholds)
    before = await _month_rows(repos, previous_month(month), zone, now, thresholds)
    parties = {p.id: p for p in await repos.parties.all()}
    mentors_below = await participation.flagged_parties(repos, now)
    found = []
    for party_id, (figures, weak) in this.items():
        party = parties.get(party_id)
        if party is None:
            continue
        earlier = before.get(party_id, (None, []))[1]
        item = PartyDigest(party, figures, weak, bool(weak and earlier), earlier)
        item.mentors_below = mentors_below.get(party_id, [])
        found.append(item)
    found.sort(key=lambda d: (not (d.flagged or d.mentors_below), not d.below, d.party.name))
    coordinators = list(await repos.memberships.people_with_role(Role.COORDINATOR))
    return Digest(month, found, thresholds, coordinators)


def due_month(now: dt.datetime, zone: str, day: int, at: str) -> dt.date | None:
    """The month whose digest is due by `now` (the month before the current one), or None
    before this month's digest day and time."""
    local = now.astimezone(ZoneInfo(zone))
    hour, minute = (int(part) for part in at.split(":"))
    moment = dt.datetime.combine(local.date().replace(day=day), dt.time(hour, minute), local.tzinfo)
    if local < moment:
        return None
    return previous_month(month_of(local.date()))


async def run_due(repos: Repos, now: dt.datetime) -> Digest | None:
    """The month's digest when it is due and not yet sent; its rows recorded, once.

    The first month ever is recorded without being sent: the bot was installed during (or
    after) it and saw little of it, but it is the baseline the next month's flags need."""
    consortium = await repos.consortium.get()
    if consortium is None:
        return None
    zone = consortium.timezone
    spec, _ = await rules.digest(repos)
    month = due_month(now, zone, spec.day, spec.time)
    if month is None or await repos.digests.of_month(month):
        return None
    first = not await repos.digests.any()
    digest = await build(repos, month, zone, now)
    for item in digest.parties:
        await repos.digests.add(
            PartyMonth(
                party_id=item.party.id,
                month=month,
                figures=item.figures.to_json(),
                below=item.below,
                flagged=item.flagged,
                at=now,
            )
        )
    return None if first else digest
