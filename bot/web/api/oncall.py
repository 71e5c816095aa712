"""On-call (any member, as /oncall): who is on call for each party now and who comes next,
a four-week calendar of the rotation with its overrides, and, for those /requests allows
(a party's contacts, coordinators), the open questions with their age and state; for
coordinators the per-party medians of the last 30 days, the figures /requests shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_skeleton

from bot.domain.access import COMMANDS_BY_NAME
from bot.domain.oncall import Shift, on_day, shifts
from bot.i18n import Translator, dates
from bot.renderers.liaison import name_of, state_name
from bot.services import liaison
from bot.services.oncall import party_contacts, party_oncall
from bot.web.api.base import JSON, Answer, ApiRequest, view
from db.models import Party, Role

DAYS = 28
SHOWN = 200  # open questions listed, the longest-waiting first; the rest counted


async def board(request: ApiRequest) -> Answer:
    """Every party's duty now and next, its calendar; the questions for those who may see them."""
    repos, locale = request.repos, dates.locale_of(request.t)
    zone = ZoneInfo(request.caller.timezone)
    today = request.now.astimezone(zone).date()
    days = [today + dt.timedelta(days=i) for i in range(DAYS)]
    end = request.now + dt.timedelta(days=DAYS)
    duties = []
    for party in await repos.parties.all():
        state = await party_oncall(repos, party, request.now, request.default_tz)
        rotation = state.rotation
        if not rotation.members:  # as /ask: no rotation, the first contact answers throughout
            contacts = await party_contacts(repos, party.id)
            rotation = replace(rotation, members=(contacts[0].id,)) if contacts else rotation
        duties.append(
            (
                party,
                state,
                state.at(request.now),
                shifts(rotation, state.overrides, request.now, end),
            )
        )
    # Everyone named, in one query (a rotation of six in twenty parties is 120 people).
    people = await repos.people.by_ids(
        {s.person for *_, duty in duties for s in duty}
        | {p for _, _, who, _ in duties for p in (who.person, who.next_person) if p is not None}
    )
    names = {person_id: name_of(person) for person_id, person in people.items()}
    parties: list[JSON] = []
    for party, state, who, duty in duties:
        now_person = people.get(who.person) if who.person is not None else None
        if now_person is None:  # as /oncall: no rotation, the first contact answers
            contacts = await party_contacts(repos, party.id)
            now_person = contacts[0] if contacts else None
        next_person = people.get(who.next_person) if who.next_person is not None else None
        parties.append(
            {
                "party": party.name,
                "zone": state.timezone,
                "now": name_of(now_person) if now_person else None,
                "covering": who.by_override,
                "next": name_of(next_person) if next_person and who.next_change_at else None,
                "from": _when(who.next_change_at, state.timezone, request.t),
                "days": [_cells(on_day(duty, day, request.caller.timezone), names) for day in days],
            }
        )
    body: JSON = {
        "days": [
            {"date": d.isoformat(), "label": format_skeleton("MMMEd", d, locale=locale)}
            for d in days
        ],
        "parties": parties,
    }
    if COMMANDS_BY_NAME["requests"].allows(request.caller.roles):
        body.update(await _questions(request))
    return Answer(body)


def _cells(duty: list[Shift], names: dict[int, str]) -> list[JSON]:
    """A day's cell: who is on call that day, in order (a hand-off shows two)."""
    cells: list[JSON] = []
    for shift in duty:
        cell = {"name": names.get(shift.person, "—"), "covering": shift.by_override}
        if not cells or cells[-1] != cell:
            cells.append(cell)
    return cells


def _when(at: dt.datetime | None, zone: str, t: Translator) -> str | None:
    """When the next person's duty starts, in the party's zone, as the chat writes it."""
    return None if at is None else dates.moment_soon(at, zone, t)


async def _questions(request: ApiRequest) -> JSON:
    """Open questions as /requests lists them: a contact's own parties', all for coordinators,
    who also get the medians."""
    caller, t = request.caller, request.t
    coordinator = Role.COORDINATOR in caller.roles
    party_ids = (
        None if coordinator else [m.party_id for m in caller.memberships if m.role is Role.CONTACT]
    )
    parties: dict[int, Party] = {p.id: p for p in await request.repos.parties.all()}
    waiting = await request.repos.requests.open_requests(party_ids)
    questions = [
        {
            "id": r.id,
            "party": parties[r.party_id].name,
            "question": r.question,
            "state": r.state.value,
            "state_name": state_name(r.state, t),
            "urgent": r.urgent,
            "age": dates.duration(
                dt.timedelta(seconds=int((request.now - r.opened_at).total_seconds())), t
            ),
            "age_seconds": int((request.now - r.opened_at).total_seconds()),
        }
        for r in waiting[:SHOWN]
    ]
    body: JSON = {"questions": questions, "questions_total": len(waiting)}
    if coordinator:
        body["medians"] = [
            {
                "party": f.party.name,
                "key": f.party.key,
                "requests": f.requests,
                "ack": _span(f.median_ack, t),
                "answer": _span(f.median_answer, t),
                "escalated": round(100 * (f.escalated_share or 0)),
            }
            for f in await liaison.figures(request.ctx)
            if f.requests
        ]
    return body


def _span(delta: dt.timedelta | None, t: Translator) -> str | None:
    """The same text as /requests (`10m` / `10分钟`), None where nothing was acknowledged or
    answered."""
    if delta is None:
        return None
    return dates.duration(dt.timedelta(seconds=int(delta.total_seconds())), t)


def build_routes() -> list[web.RouteDef]:
    return [view("oncall", board)]
