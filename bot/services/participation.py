"""Mandatory participation over the database: each mentor's share of the weeks they were
asked to score, who is below the consortium's least share, the reminder step due for each
(the mentor, then their party's contact, then the coordinators: each once, by the
scheduler's tick), and the parties to flag in the digest and /cohort."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.domain.participation import (
    MentorShare,
    ParticipationSpec,
    Step,
    is_below,
    step_due,
)
from bot.domain.time import parse_duration
from db.models import ParticipationAlert, Party, Person, Role
from db.repositories import Repos


async def rules(repos: Repos) -> ParticipationSpec:
    """The file's `participation` section (none required, no least share: the defaults)."""
    return ParticipationSpec.model_validate(await repos.rules.get("participation") or {})


@dataclass
class Below:
    """A mentor below the least share, with their party (None: they belong to none)."""

    mentor: Person
    party: Party | None
    found: MentorShare
    least: float  # percent


async def _party_of(repos: Repos, mentor: Person) -> Party | None:
    """The party a mentor mentors for (their first such membership)."""
    for membership in await repos.memberships.of_person(mentor.id):
        if membership.role is Role.MENTOR:
            return await repos.parties.by_id(membership.party_id)
    return None


async def below_share(repos: Repos, now: dt.datetime) -> list[Below]:
    """Every mentor below the least share now, in mentor order."""
    spec = await rules(repos)
    if spec.mentor_share <= 0:
        return []
    cutoff = now - parse_duration(spec.counted_after)
    found = []
    for mentor_id, scored, due in await repos.participation.mentor_weeks(cutoff):
        share = MentorShare(mentor_id, scored, due)
        if not is_below(share, spec.mentor_share, spec.min_weeks):
            continue
        mentor = await repos.people.by_id(mentor_id)
        if mentor is not None:
            party = await _party_of(repos, mentor)
            found.append(Below(mentor, party, share, float(spec.mentor_share)))
    return found


async def flagged_parties(repos: Repos, now: dt.datetime) -> dict[int, list[Below]]:
    """Per party (its id), its mentors below the least share."""
    flagged: dict[int, list[Below]] = {}
    for item in await below_share(repos, now):
        if item.party is not None:
            flagged.setdefault(item.party.id, []).append(item)
    return flagged


@dataclass
class Escalation:
    """One step for one mentor, and whom it goes to."""

    step: Step
    below: Below
    recipients: list[Person] = field(default_factory=list)
    contact_told: bool = True  # False: the mentor is their party's only contact


async def run_due(repos: Repos, now: dt.datetime) -> list[Escalation]:
    """The reminder steps due now, each recorded so that it is taken once; a mentor back
    above the share is cleared (a later fall starts again from the mentor)."""
    spec = await rules(repos)
    after = parse_duration(spec.escalate_after)
    below = {item.mentor.id: item for item in await below_share(repos, now)}
    alerts = await repos.participation.alerts()
    await repos.participation.clear([mid for mid in alerts if mid not in below])
    due = []
    for mentor_id, item in below.items():
        alert = alerts.get(mentor_id)
        step = step_due(
            Step(alert.step) if alert else None, alert.at if alert else None, now, after
        )
        if step is None:
            continue
        recipients = await _recipients(repos, step, item)
        contact_told = alert is not None and alert.step == Step.CONTACT.value
        if step is Step.CONTACT and not recipients:
            # No contact but the mentor themself: the coordinators are the next to tell.
            step, recipients = Step.COORDINATORS, await _recipients(repos, Step.COORDINATORS, item)
        values = {"step": step.value, "at": now, "scored": item.found.scored, "due": item.found.due}
        if alert is None:
            await repos.participation.add_alert(ParticipationAlert(mentor_id=mentor_id, **values))
        else:
            for name, value in values.items():
                setattr(alert, name, value)
        due.append(Escalation(step, item, recipients, contact_told))
    return due


async def _recipients(repos: Repos, step: Step, item: Below) -> list[Person]:
    if step is Step.MENTOR:
        return [item.mentor]
    if step is Step.CONTACT:
        if item.party is None:
            return []
        contacts = await repos.memberships.people_of_party(item.party.id, Role.CONTACT)
        return [person for person in contacts if person.id != item.mentor.id]
    return list(await repos.memberships.people_with_role(Role.COORDINATOR))
