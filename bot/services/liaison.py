"""The life of a liaison request: opened, delivered (or held for quiet hours), escalated,
acknowledged, handed over, answered, followed up and closed; every step logged.

State changes return `Notice`s; the Telegram layer renders each into an outbox message in
the same transaction, so a notice is never lost between the change and its sending.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.oncall import Notify, median, quiet_until, step_due
from bot.services.context import ServiceContext
from bot.services.oncall import PartyOncall, party_contacts, party_oncall, person_zone
from db.models import LiaisonRequest, Party, Person, RequestState, Role
from db.repositories import Repos
from db.repositories.liaison import RequestTimes

ACTIVE = (RequestState.HELD, RequestState.OPEN, RequestState.ACKNOWLEDGED)


class NoticeKind(StrEnum):
    DELIVER = "deliver"  # the question, with buttons, to a contact (or escalation target)
    ANSWER = "answer"  # the answer, in the chat where the question was asked
    FOLLOW_UP = "follow_up"  # the asker's follow-up, to the contact
    MUST_START = "must_start"  # to coordinators: this person must press Start
    REFUSED = "refused"  # to whoever wrote it: Telegram refused to deliver their message
    ANSWER_PROMPT = "answer_prompt"  # to a contact who pressed Answer


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    request: LiaisonRequest
    party: Party
    person: Person | None = None  # the recipient, or whom the notice is about
    reason: str = ""  # for DELIVER: "first", "escalation", "handover", "urgent"
    text: str | None = None  # answer or follow-up text
    file_id: str | None = None
    file_kind: str | None = None
    author: Person | None = None
    not_before: dt.datetime | None = None  # held for the recipient's quiet hours


@dataclass
class Outcome:
    ok: bool
    reason: str = ""
    request: LiaisonRequest | None = None
    contact: Person | None = None
    held_until: dt.datetime | None = None
    notices: list[Notice] = field(default_factory=list)


async def _coordinators(repos: Repos) -> list[Person]:
    return list(await repos.memberships.people_with_role(Role.COORDINATOR))


async def _quiet_for(
    ctx: ServiceContext, oncall: PartyOncall, person: Person
) -> dt.datetime | None:
    zone = await person_zone(ctx.repos, person, oncall.party, ctx.default_tz)
    return quiet_until(oncall.quiet, zone, ctx.now)


async def _first_contact(ctx: ServiceContext, oncall: PartyOncall) -> Person | None:
    person_id = oncall.at(ctx.now).person
    if person_id is not None:
        return await ctx.repos.people.by_id(person_id)
    contacts = await party_contacts(ctx.repos, oncall.party.id)
    return contacts[0] if contacts else None


async def open_request(
    ctx: ServiceContext,
    *,
    party: Party,
    asker: Person,
    chat_id: int,
    message_id: int,
    question: str,
    urgent: bool,
    thread_id: int | None = None,
) -> Outcome:
    """Open a request and route it to the party's contact on call (or hold it till morning).
    The request is written once, already routed; `thread_id` is the forum topic it was asked
    in, where the group gets what it is sent about it."""
    oncall = await party_oncall(ctx.repos, party, ctx.now, ctx.default_tz)
    contact = await _first_contact(ctx, oncall)
    held = None if urgent or contact is None else await _quiet_for(ctx, oncall, contact)
    request = LiaisonRequest(
        party_id=party.id,
        asker_id=asker.id,
        chat_id=chat_id,
        question_message_id=message_id,
        thread_id=thread_id,
        question=question[:4000],
        urgent=urgent,
        state=RequestState.OPEN,
        opened_at=ctx.now,
        escalations=0,
        contact_id=contact.id if contact else None,
    )
    if contact is None:
        # Nobody to ask: the coordinators get it at once.
        request.delivered_at = ctx.now
        request.escalations = len(oncall.steps)  # straight to the coordinators' round
        request.next_action_at = step_due(oncall.steps, ctx.now, request.escalations)[1]
    elif held is not None:
        request.state = RequestState.HELD
        request.next_action_at = held
    else:
        _route(oncall, request, contact, ctx.now)
    await ctx.repos.requests.add(request)
    opened = ("opened", asker.id, "urgent" if urgent else None)
    if contact is None:
        notices = [
            Notice(NoticeKind.DELIVER, request, party, c, "no_contact")
            for c in await _coordinators(ctx.repos)
        ]
        escalated = ("escalated", None, "no contact")
        await ctx.repos.requests.log_all(request.id, ctx.now, [opened, escalated])
        return Outcome(True, "no_contact", request, None, None, notices)
    if held is not None:
        held_event = ("held", contact.id, held.isoformat())
        await ctx.repos.requests.log_all(request.id, ctx.now, [opened, held_event])
        return Outcome(True, "held", request, contact, held, [])
    delivered = ("delivered", contact.id, None)
    await ctx.repos.requests.log_all(request.id, ctx.now, [opened, delivered])
    return Outcome(True, "delivered", request, contact, None, [_delivery(oncall, request, contact)])


def _route(oncall: PartyOncall, request: LiaisonRequest, contact: Person, now: dt.datetime) -> None:
    """The request goes to this contact now; its first escalation step is due next."""
    request.state = RequestState.OPEN
    request.contact_id = contact.id
    request.delivered_at = now
    request.escalations = 0
    request.next_action_at = step_due(oncall.steps, now, 0)[1]


def _delivery(oncall: PartyOncall, request: LiaisonRequest, contact: Person) -> Notice:
    reason = "urgent" if request.urgent else "first"
    return Notice(NoticeKind.DELIVER, request, oncall.party, contact, reason)


async def _deliver_first(
    ctx: ServiceContext, oncall: PartyOncall, request: LiaisonRequest, contact: Person
) -> list[Notice]:
    _route(oncall, request, contact, ctx.now)
    await ctx.repos.requests.log(request.id, "delivered", ctx.now, contact.id)
    return [_delivery(oncall, request, contact)]


async def run_due(ctx: ServiceContext, request_id: int) -> list[Notice]:
    """What the scheduler does for one request whose time has come; safe to run twice."""
    request = await ctx.repos.requests.get_for_update(request_id)
    if (
        request is None
        or request.next_action_at is None
        or request.next_action_at > ctx.now
        or request.state not in (RequestState.HELD, RequestState.OPEN)
    ):
        return []
    party = await ctx.repos.parties.by_id(request.party_id)
    assert party is not None
    oncall = await party_oncall(ctx.repos, party, ctx.now, ctx.default_tz)
    if request.state is RequestState.HELD:
        contact = await _first_contact(ctx, oncall)
        if contact is None:
            request.next_action_at = None
            return []
        return await _deliver_first(ctx, oncall, request, contact)
    return await _escalate(ctx, oncall, request)


async def _escalate(
    ctx: ServiceContext, oncall: PartyOncall, request: LiaisonRequest
) -> list[Notice]:
    assert request.delivered_at is not None
    step, _ = step_due(oncall.steps, request.delivered_at, request.escalations)
    targets: list[Person] = []
    if step.notify is Notify.NEXT:
        members = list(oncall.rotation.members)
        if request.contact_id in members and len(members) > 1:
            nexts = sum(
                1
                for s in range(request.escalations + 1)
                if oncall.steps[s % len(oncall.steps)].notify is Notify.NEXT
            )
            start = members.index(request.contact_id)
            others = [m for m in members[start + 1 :] + members[:start]]
            target = await ctx.repos.people.by_id(others[(nexts - 1) % len(others)])
            targets = [target] if target else []
        elif not members:
            targets = [
                p
                for p in await party_contacts(ctx.repos, oncall.party.id)
                if p.id != request.contact_id
            ]
    else:
        targets = await _coordinators(ctx.repos)
    request.escalations += 1
    request.next_action_at = step_due(oncall.steps, request.delivered_at, request.escalations)[1]
    names = ", ".join(p.name or str(p.telegram_id) for p in targets) or "nobody"
    await ctx.repos.requests.log(
        request.id, "escalated", ctx.now, None, f"{step.notify.value}: {names}"
    )
    notices = []
    for target in targets:
        held = None if request.urgent else await _quiet_for(ctx, oncall, target)
        notices.append(
            Notice(NoticeKind.DELIVER, request, oncall.party, target, "escalation", not_before=held)
        )
    return notices


async def _load(ctx: ServiceContext, request_id: int) -> tuple[LiaisonRequest, Party] | None:
    request = await ctx.repos.requests.get_for_update(request_id)
    if request is None:
        return None
    party = await ctx.repos.parties.by_id(request.party_id)
    assert party is not None
    return request, party


async def _load_for(
    ctx: ServiceContext, request_id: int, person: Person
) -> tuple[LiaisonRequest, Party] | Outcome:
    """The request (locked) and its party, if it exists and this person may act on it."""
    loaded = await _load(ctx, request_id)
    if loaded is None:
        return Outcome(False, "unknown")
    if not await may_act(ctx, loaded[0], person):
        return Outcome(False, "not_yours", loaded[0])
    return loaded


async def may_act(ctx: ServiceContext, request: LiaisonRequest, person: Person) -> bool:
    """Whoever the request reached, the party's contacts, and coordinators may act on it."""
    if person.id == request.contact_id or person.id in await ctx.repos.requests.recipients(
        request.id
    ):
        return True
    for membership in await ctx.repos.memberships.of_person(person.id):
        if membership.role is Role.COORDINATOR or (
            membership.role is Role.CONTACT and membership.party_id == request.party_id
        ):
            return True
    return False


async def acknowledge(ctx: ServiceContext, request_id: int, person: Person) -> Outcome:
    loaded = await _load_for(ctx, request_id, person)
    if isinstance(loaded, Outcome):
        return loaded
    request, _party = loaded
    if request.acknowledged_at is not None or request.state not in ACTIVE:
        return Outcome(False, "already", request)
    request.state = RequestState.ACKNOWLEDGED
    request.acknowledged_at = ctx.now
    request.contact_id = person.id
    request.next_action_at = None
    await ctx.repos.requests.log(request.id, "acknowledged", ctx.now, person.id)
    return Outcome(True, "acknowledged", request, person)


async def prompt_answer(ctx: ServiceContext, request_id: int, person: Person) -> Outcome:
    loaded = await _load_for(ctx, request_id, person)
    if isinstance(loaded, Outcome):
        return loaded
    request, party = loaded
    if request.state is RequestState.CLOSED:
        return Outcome(False, "closed", request)
    return Outcome(
        True,
        "prompt",
        request,
        person,
        notices=[Notice(NoticeKind.ANSWER_PROMPT, request, party, person)],
    )


async def answer(
    ctx: ServiceContext,
    request_id: int,
    person: Person,
    text: str | None,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> Outcome:
    """The contact's answer goes back where the question was asked."""
    loaded = await _load_for(ctx, request_id, person)
    if isinstance(loaded, Outcome):
        return loaded
    request, party = loaded
    if request.state is RequestState.CLOSED:
        return Outcome(False, "closed", request)
    if request.acknowledged_at is None:
        request.acknowledged_at = ctx.now
    if request.answered_at is None:
        request.answered_at = ctx.now
    request.state = RequestState.ANSWERED
    request.contact_id = person.id
    request.next_action_at = None
    await ctx.repos.requests.log(request.id, "answered", ctx.now, person.id, text)
    notice = Notice(
        NoticeKind.ANSWER,
        request,
        party,
        None,
        text=text,
        file_id=file_id,
        file_kind=file_kind,
        author=person,
    )
    return Outcome(True, "answered", request, person, notices=[notice])


async def follow_up(
    ctx: ServiceContext,
    request_id: int,
    person: Person,
    text: str | None,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> Outcome:
    """A reply to an answer, in the chat where it was asked: it goes to the contact."""
    loaded = await _load(ctx, request_id)
    if loaded is None:
        return Outcome(False, "unknown")
    request, party = loaded
    if request.state is RequestState.CLOSED:
        return Outcome(False, "closed", request)
    contact = await ctx.repos.people.by_id(request.contact_id) if request.contact_id else None
    if contact is None:
        return Outcome(False, "no_contact", request)
    await ctx.repos.requests.log(request.id, "follow_up", ctx.now, person.id, text)
    notice = Notice(
        NoticeKind.FOLLOW_UP,
        request,
        party,
        contact,
        text=text,
        file_id=file_id,
        file_kind=file_kind,
        author=person,
    )
    return Outcome(True, "follow_up", request, contact, notices=[notice])


async def hand_over(ctx: ServiceContext, request_id: int, person: Person) -> Outcome:
    """Pass the request to the next contact in the rotation; escalation starts afresh."""
    loaded = await _load_for(ctx, request_id, person)
    if isinstance(loaded, Outcome):
        return loaded
    request, party = loaded
    if request.state not in ACTIVE:
        return Outcome(False, "closed", request)
    oncall = await party_oncall(ctx.repos, party, ctx.now, ctx.default_tz)
    target = await _next_after(ctx, oncall, person)
    if target is None:
        return Outcome(False, "nobody", request)
    request.state = RequestState.OPEN
    request.acknowledged_at = None
    await ctx.repos.requests.log(
        request.id, "handed_over", ctx.now, person.id, target.name or str(target.telegram_id)
    )
    notices = await _deliver_first(ctx, oncall, request, target)
    notices = [Notice(n.kind, n.request, n.party, n.person, "handover") for n in notices]
    return Outcome(True, "handed_over", request, target, notices=notices)


async def _next_after(ctx: ServiceContext, oncall: PartyOncall, person: Person) -> Person | None:
    """Whom a hand-over goes to: the rotation members after this person (wrapping round),
    else the party's other contacts."""
    members = list(oncall.rotation.members)
    if person.id in members:
        at = members.index(person.id)
        candidates = members[at + 1 :] + members[:at]
    else:
        candidates = members
    if not candidates:
        candidates = [
            p.id for p in await party_contacts(ctx.repos, oncall.party.id) if p.id != person.id
        ]
    return await ctx.repos.people.by_id(candidates[0]) if candidates else None


async def close(ctx: ServiceContext, request_id: int, person: Person) -> Outcome:
    """The asker or a coordinator closes a request."""
    loaded = await _load(ctx, request_id)
    if loaded is None:
        return Outcome(False, "unknown")
    request, _party = loaded
    roles = {m.role for m in await ctx.repos.memberships.of_person(person.id)}
    if person.id != request.asker_id and Role.COORDINATOR not in roles:
        return Outcome(False, "not_yours", request)
    if request.state is RequestState.CLOSED:
        return Outcome(False, "already", request)
    request.state = RequestState.CLOSED
    request.closed_at = ctx.now
    request.next_action_at = None
    await ctx.repos.requests.log(request.id, "closed", ctx.now, person.id)
    return Outcome(True, "closed", request)


async def delivery_failed(
    ctx: ServiceContext, request_id: int, person: Person, reason: str
) -> list[Notice]:
    """A delivery was refused (403): log it, move on to the next step at once, and tell the
    coordinators who must press Start."""
    loaded = await _load(ctx, request_id)
    if loaded is None:
        return []
    request, party = loaded
    await ctx.repos.requests.log(request.id, "delivery_failed", ctx.now, person.id, reason)
    if request.state is RequestState.OPEN:
        request.next_action_at = ctx.now
    coordinators = [c for c in await _coordinators(ctx.repos) if c.id != person.id]
    return [
        Notice(NoticeKind.MUST_START, request, party, c, reason, author=person)
        for c in coordinators
    ]


async def delivery_refused(
    ctx: ServiceContext, request_id: int, purpose: str, reason: str
) -> list[Notice]:
    """Telegram refused a message about a request (400: its text, its file): log it, so the
    history says so, and tell the person whose words it carried, who can send them again.
    An answer is the answering contact's; a question or a follow-up, the asker's."""
    loaded = await _load(ctx, request_id)
    if loaded is None:
        return []
    request, party = loaded
    events = await ctx.repos.requests.events(request.id)
    kinds = ("answered",) if purpose == "liaison.answer" else ("opened", "follow_up")
    author_id = next(
        (e.person_id for e in reversed(events) if e.kind in kinds and e.person_id), None
    )
    if author_id is None and purpose != "liaison.answer":
        author_id = request.asker_id
    await ctx.repos.requests.log(request.id, "delivery_refused", ctx.now, author_id, reason)
    author = await ctx.repos.people.by_id(author_id) if author_id else None
    if author is None:
        return []
    return [Notice(NoticeKind.REFUSED, request, party, author, purpose, reason, author=author)]


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    kind: str
    person: str | None
    detail: str | None


async def may_view(ctx: ServiceContext, request: LiaisonRequest, viewer: Person) -> bool:
    """The asker, whoever the request reached, its party's contacts and coordinators."""
    return viewer.id == request.asker_id or await may_act(ctx, request, viewer)


async def history(ctx: ServiceContext, request: LiaisonRequest) -> list[HistoryLine]:
    """A request's events, oldest first, with the names of the people involved."""
    lines = []
    for event in await ctx.repos.requests.events(request.id):
        who = await ctx.repos.people.by_id(event.person_id) if event.person_id else None
        # Someone forgotten but kept anonymous for the figures has no name and no id to show.
        name = (who.name or str(who.telegram_id)) if who and who.telegram_id > 0 else None
        lines.append(HistoryLine(event.at, event.kind, name, event.detail))
    return lines


EXPORT_COLUMNS = (
    "request",
    "party",
    "asked_at",
    "state",
    "urgent",
    "event_at",
    "event",
    "person",
    "detail",
)


async def export_rows(ctx: ServiceContext) -> list[tuple[object, ...]]:
    """Every event of every request, one row each (coordinators' export)."""
    parties = {p.id: p.key for p in await ctx.repos.parties.all()}
    rows: list[tuple[object, ...]] = []
    for request in await ctx.repos.requests.since(dt.datetime.min.replace(tzinfo=dt.UTC)):
        for line in await history(ctx, request):
            rows.append(
                (
                    request.id,
                    parties[request.party_id],
                    request.opened_at.isoformat(),
                    request.state.value,
                    request.urgent,
                    line.at.isoformat(),
                    line.kind,
                    line.person or "",
                    line.detail or "",
                )
            )
    return rows


@dataclass(frozen=True)
class PartyFigures:
    party: Party
    requests: int
    median_ack: dt.timedelta | None
    median_answer: dt.timedelta | None
    escalated_share: float | None


async def figures(ctx: ServiceContext, days: int = 30) -> list[PartyFigures]:
    """Per party over the last `days`: median time to acknowledge and to answer, share escalated."""
    since = ctx.now - dt.timedelta(days=days)
    by_party: dict[int, list[RequestTimes]] = {}
    for request in await ctx.repos.requests.timings_since(since):
        by_party.setdefault(request.party_id, []).append(request)
    result = []
    for party in await ctx.repos.parties.all():
        own = by_party.get(party.id, [])
        acks = [(r.acknowledged_at - r.opened_at).total_seconds() for r in own if r.acknowledged_at]
        answers = [(r.answered_at - r.opened_at).total_seconds() for r in own if r.answered_at]
        ack, ans = median(acks), median(answers)
        result.append(
            PartyFigures(
                party,
                len(own),
                dt.timedelta(seconds=ack) if ack is not None else None,
                dt.timedelta(seconds=ans) if ans is not None else None,
                sum(1 for r in own if r.escalations) / len(own) if own else None,
            )
        )
    return result
