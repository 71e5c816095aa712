"""On-call liaison: /ask, the contact's buttons, answers and follow-ups by reply, /close,
/oncall, /requests, /rotation and /override."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import BotContext
from bot.domain import numbers
from bot.i18n import dates
from bot.outbox.liaison import LiaisonOutbox
from bot.renderers import esc, listed
from bot.renderers.dashboard import with_open
from bot.renderers.liaison import (
    ack_text,
    event_name,
    render_ask_usage,
    render_figure_line,
    render_held,
    render_oncall_line,
    render_pick_party,
    render_request_line,
    render_routed,
)
from bot.renderers.tables import csv_bytes
from bot.services import liaison
from bot.services.oncall import (
    add_override,
    ensure_policy,
    may_manage,
    not_contacts,
    party_contacts,
    party_oncall,
    person_zone,
    zone_of,
)
from bot.telegram import callbacks
from db.models import LiaisonMessage, Party, Person, Role
from handlers import documents
from handlers.base import Reply, Request, button, command, deliver, in_transaction, topic_of
from handlers.onboarding import private_text

MAX_QUESTION = 3000
LINK_WAIT_ROUNDS, LINK_WAIT_SECONDS = 30, 0.1


def _outbox(request: Request) -> LiaisonOutbox:
    services, username = request.context.services, request.context.bot.username
    return LiaisonOutbox(services, request.repos, request.now, username)


async def _linked_or_private(request: Request) -> bool:
    if request.in_private:
        return True
    chat = await request.repos.requests.chat(request.chat_id)
    return chat is not None and chat.linked and chat.active


async def ask(request: Request) -> Reply:
    """/ask PARTY question (or /ask! for urgent); without a party, buttons offer them."""
    t = request.t
    if not await _linked_or_private(request):
        return Reply(
            text=t.gettext(
                "This group is not linked to the consortium; a coordinator can link it with /link."
            )
        )
    message = request.update.effective_message
    assert message is not None and message.text is not None
    urgent = message.text.startswith("/ask!")
    party = await request.repos.parties.by_key(request.args[0].lower()) if request.args else None
    words = request.args[1:] if party else request.args
    question = " ".join(words).strip()
    if not question:
        return Reply.of(render_ask_usage(list(await request.repos.parties.all()), t))
    if len(question) > MAX_QUESTION:
        return Reply(
            text=t.gettext("Please keep a question under {max} characters.").format(
                max=MAX_QUESTION
            )
        )
    if party is None:
        parties = list(await request.repos.parties.all())
        return Reply.of(render_pick_party(parties, request.caller.telegram_id, t), quote=True)
    return await _open(request, party, message, question, urgent)


async def _open(
    request: Request, party: Party, message: Message, question: str, urgent: bool
) -> Reply:
    asker = request.caller.person
    assert asker is not None
    outcome = await liaison.open_request(
        request.ctx,
        party=party,
        asker=asker,
        chat_id=message.chat_id,
        message_id=message.message_id,
        question=question,
        urgent=urgent,
        thread_id=topic_of(message),
    )
    assert outcome.request is not None
    await _outbox(request).enqueue(outcome.notices)
    if outcome.held_until is not None and outcome.contact is not None:
        zone = await person_zone(
            request.repos,
            outcome.contact,
            party,
            request.ctx.default_tz,
        )
        rendered = render_held(
            outcome.request, party, outcome.contact, outcome.held_until, zone, request.t
        )
    else:
        rendered = render_routed(outcome.request, party, outcome.contact, request.t)
    return Reply.of(rendered, drain=True)


async def pick_party(request: Request) -> Reply:
    """A party chosen for a question asked without one."""
    party_id, asker_id = request.args
    query = request.update.callback_query
    assert query is not None
    if str(request.caller.telegram_id) != asker_id or not request.caller.is_member:
        return Reply(alert=request.t.gettext("This button is not for you."))
    original = query.message.reply_to_message if isinstance(query.message, Message) else None
    party_row = numbers.row_id(party_id)
    party = await request.repos.parties.by_id(party_row) if party_row else None
    if original is None or original.text is None or party is None:
        return Reply(alert=request.t.gettext("This button is no longer valid."))
    question = original.text.split(maxsplit=1)[1] if " " in original.text else ""
    reply = await _open(
        request, party, original, question.strip(), original.text.startswith("/ask!")
    )
    reply.edit = True
    return reply


async def _contact_action(request: Request, action: str) -> Reply:
    person, request_id = request.caller.person, numbers.row_id(request.args[0])
    if person is None or request_id is None:
        return Reply(alert=request.t.gettext("This question is not for you."))
    ctx = request.ctx
    if action == "ack":
        outcome = await liaison.acknowledge(ctx, request_id, person)
    elif action == "answer":
        outcome = await liaison.prompt_answer(ctx, request_id, person)
    else:
        outcome = await liaison.hand_over(ctx, request_id, person)
    await _outbox(request).enqueue(outcome.notices)
    if outcome.ok and action == "answer":
        text = request.t.gettext("Write your answer as a reply to the message I just sent.")
    else:
        text = ack_text(outcome.reason, request.t)
    return Reply(alert=text, drain=bool(outcome.notices))


async def acknowledge(request: Request) -> Reply:
    """The Acknowledge button: escalation stops."""
    return await _contact_action(request, "ack")


async def answer_button(request: Request) -> Reply:
    """The Answer button: a prompt to reply to."""
    return await _contact_action(request, "answer")


async def hand_over(request: Request) -> Reply:
    """The Hand over button: the next contact in the rotation gets it."""
    return await _contact_action(request, "handover")


async def _find_link(context: BotContext, message: Message) -> LiaisonMessage | None:
    """The request a replied-to bot message belongs to. The sender records that link just
    after Telegram accepts the message; a very quick reply may arrive first, so while a message
    to this chat is still in flight, wait a moment for it."""
    replied_to = message.reply_to_message
    if replied_to is None or replied_to.from_user is None or not replied_to.from_user.is_bot:
        return None
    for _ in range(LINK_WAIT_ROUNDS):
        async with context.services.database.transaction() as repos:
            # In this order: under READ COMMITTED each statement sees the latest commit, so
            # a link recorded between the two queries is still found.
            in_flight = await repos.outbox.in_flight(message.chat_id)
            link = await repos.requests.by_message(message.chat_id, replied_to.message_id)
            if link is not None or not in_flight:
                return link
        await asyncio.sleep(LINK_WAIT_SECONDS)
    return None


async def replied(update: Update, context: BotContext) -> None:
    """A reply to a liaison message: an answer (from a contact) or a follow-up (asker's chat)."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return
    link = await _find_link(context, message)
    if link is not None and await documents.refused(update, context):
        return

    async def run(request: Request) -> Reply | None:
        person = request.caller.person
        if link is None or person is None or not request.caller.is_member:
            return None
        text = message.text or message.caption
        file_id, file_kind = _attachment(message)
        if text is None and file_id is None:
            return Reply(text=request.t.gettext("Please answer with text, a photo or a document."))
        if text and len(text) > MAX_QUESTION:
            return Reply(
                text=request.t.gettext("Please keep a question under {max} characters.").format(
                    max=MAX_QUESTION
                )
            )
        ctx = request.ctx
        if link.role == "contact":
            outcome = await liaison.answer(ctx, link.request_id, person, text, file_id, file_kind)
            done = request.t.gettext("Your answer to #{id} is on its way.")
        else:
            outcome = await liaison.follow_up(
                ctx, link.request_id, person, text, file_id, file_kind
            )
            done = request.t.gettext("Your follow-up on #{id} went to {party}'s contact.")
        if not outcome.ok:
            return Reply(text=ack_text(outcome.reason, request.t))
        await _outbox(request).enqueue(outcome.notices)
        party = (
            await request.repos.parties.by_id(outcome.request.party_id) if outcome.request else None
        )
        return Reply(
            text=done.format(id=link.request_id, party=esc(party.name if party else "")), drain=True
        )

    reply = await in_transaction(update, context, [], run)
    if reply is None and message.chat.type == ChatType.PRIVATE:
        await private_text(update, context)
        return
    await deliver(update, context, reply)


def _attachment(message: Message) -> tuple[str | None, str | None]:
    if message.photo:
        return message.photo[-1].file_id, "photo"
    if message.document:
        return message.document.file_id, "document"
    return None, None


async def close(request: Request) -> Reply:
    """/close NUMBER: the asker or a coordinator closes a question."""
    person = request.caller.person
    request_id = numbers.row_id(request.args[0]) if len(request.args) == 1 else None
    if person is None or request_id is None:
        return Reply(text=request.t.gettext("Usage: /close NUMBER, e.g. /close 12"))
    outcome = await liaison.close(request.ctx, request_id, person)
    if not outcome.ok:
        return Reply(text=ack_text(outcome.reason, request.t))
    return Reply(text=request.t.gettext("Question #{id} is closed.").format(id=request_id))


async def oncall(request: Request) -> Reply:
    """/oncall: who is on call for each party, who is next and when."""
    default_tz = request.ctx.default_tz
    lines = [request.t.gettext("<b>On call now</b>")]
    for party in await request.repos.parties.all():
        state = await party_oncall(request.repos, party, request.now, default_tz)
        who = state.at(request.now)
        now_person = await request.repos.people.by_id(who.person) if who.person else None
        if now_person is None:
            contacts = await party_contacts(request.repos, party.id)
            now_person = contacts[0] if contacts else None
        next_person = await request.repos.people.by_id(who.next_person) if who.next_person else None
        lines.append(
            render_oncall_line(
                party,
                now_person,
                next_person,
                who.next_change_at,
                state.timezone,
                who.by_override,
                request.t,
            )
        )
    # In a private chat the Mini App's On-call view is a button away (Telegram refuses
    # web_app buttons in groups).
    url = request.context.services.settings.webapp_url if request.in_private else None
    return Reply(text="\n".join(lines), keyboard=with_open(None, url, request.t, view="oncall"))


async def history(request: Request) -> Reply:
    """/history NUMBER: every event of a question, for those who may see it."""
    t, person = request.t, request.caller.person
    number = numbers.row_id(request.args[0]) if len(request.args) == 1 else None
    found = await request.repos.requests.get(number) if number else None
    if person is None or found is None or not await liaison.may_view(request.ctx, found, person):
        return Reply(text=t.gettext("Usage: /history NUMBER, for a question you can see."))
    party = await request.repos.parties.by_id(found.party_id)
    assert party is not None
    zone = request.caller.timezone
    lines = [render_request_line(found, party, request.now, t)]
    for line in await liaison.history(request.ctx, found):
        who = f" — {esc(line.person)}" if line.person else ""
        lines.append(f"{dates.moment(line.at, zone, t)} {esc(event_name(line.kind, t))}{who}")
    # In the group it was asked in, everyone saw it asked; anywhere else it is personal.
    return Reply(text="\n".join(lines), private=found.chat_id != request.chat_id)


async def requests(request: Request) -> Reply:
    """/requests: open questions (own parties for contacts, all for coordinators) and figures;
    `/requests export` sends coordinators every event as CSV."""
    caller, t = request.caller, request.t
    coordinator = Role.COORDINATOR in caller.roles
    if request.args[:1] == ["export"]:
        if not coordinator:
            return Reply(text=t.gettext("Only coordinators can export the questions."))
        return Reply(
            text=t.gettext("All questions and their events."),
            document=(
                "questions.csv",
                csv_bytes(liaison.EXPORT_COLUMNS, await liaison.export_rows(request.ctx)),
            ),
        )
    party_ids = (
        None if coordinator else [m.party_id for m in caller.memberships if m.role is Role.CONTACT]
    )
    parties = {p.id: p for p in await request.repos.parties.all()}
    open_ones = await request.repos.requests.open_requests(party_ids)
    lines = [t.gettext("<b>Open questions</b>")]
    lines += [render_request_line(r, parties[r.party_id], request.now, t) for r in open_ones]
    if not open_ones:
        lines.append(t.gettext("None."))
    if coordinator:
        lines.append("")
        lines.append(
            t.gettext(
                "<b>Last 30 days</b> (median time to acknowledge / to answer, share escalated)"
            )
        )
        for figure in await liaison.figures(request.ctx):
            if figure.requests:
                lines.append(
                    render_figure_line(
                        figure.party.key,
                        figure.requests,
                        figure.median_ack,
                        figure.median_answer,
                        figure.escalated_share,
                        t,
                    )
                )
    url = request.context.services.settings.webapp_url  # personal: answered in private
    return Reply(text="\n".join(lines), keyboard=with_open(None, url, t, view="oncall"))


async def _managed_party(request: Request) -> Party | Reply:
    if not request.args:
        return Reply(text=request.t.gettext("Which party? e.g. /rotation nbu 1002 1003"))
    party = await request.repos.parties.by_key(request.args[0].lower())
    if party is None:
        return Reply(
            text=request.t.gettext("There is no party {key}.").format(key=esc(request.args[0]))
        )
    if not await may_manage(request.repos, request.caller.person, party):
        return Reply(
            text=request.t.gettext(
                "Only coordinators and {party}'s own contacts can change its on-call duty."
            ).format(party=esc(party.name))
        )
    return party


async def _people(request: Request, refs: list[str]) -> list[Person] | str:
    found = []
    for ref in refs:
        telegram_id = numbers.telegram_id(ref)
        person = await request.repos.people.by_telegram_id(telegram_id) if telegram_id else None
        if person is None:
            return ref
        found.append(person)
    return found


async def _refused_people(request: Request, party: Party, people: list[Person]) -> Reply | None:
    """A refusal naming those who are not the party's contacts, or None."""
    refused = await not_contacts(request.repos, party, people)
    if not refused:
        return None
    return Reply(
        text=request.t.gettext(
            "Only {party}'s own contacts can be on its on-call duty; not: {names}."
        ).format(
            party=esc(party.name),
            names=listed((esc(p.name or str(p.telegram_id)) for p in refused), request.t),
        )
    )


async def rotation(request: Request) -> Reply:
    """/rotation PARTY ID ID...: the party's on-call order (Telegram ids)."""
    party = await _managed_party(request)
    if isinstance(party, Reply):
        return party
    people = await _people(request, request.args[1:])
    if isinstance(people, str) or not people:
        return Reply(
            text=request.t.gettext(
                "Give the Telegram ids of known people in on-call order, "
                "e.g. /rotation nbu 1002 1003"
            )
        )
    refused = await _refused_people(request, party, people)
    if refused is not None:
        return refused
    default_tz = request.ctx.default_tz
    await ensure_policy(request.repos, party, request.now, default_tz)
    await request.repos.oncall.set_rotation(party.id, [p.id for p in people])
    names = listed((esc(p.name or str(p.telegram_id)) for p in people), request.t)
    return Reply(
        text=request.t.gettext("On-call order of {party}: {names}.").format(
            party=esc(party.name), names=names
        )
    )


async def override(request: Request) -> Reply:
    """/override PARTY ID FROM TO: someone covers (times in the party's zone)."""
    t = request.t
    usage = t.gettext(
        "Usage: /override PARTY ID FROM TO, e.g. "
        "/override nbu 1003 2026-12-01T09:00 2026-12-05T18:00 (the party's time)"
    )
    party = await _managed_party(request)
    if isinstance(party, Reply):
        return party
    if len(request.args) != 4:
        return Reply(text=usage)
    people = await _people(request, [request.args[1]])
    default_tz = request.ctx.default_tz
    zone = await zone_of(request.repos, party, default_tz)
    try:
        starts = dt.datetime.fromisoformat(request.args[2]).replace(tzinfo=ZoneInfo(zone))
        ends = dt.datetime.fromisoformat(request.args[3]).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        return Reply(text=usage)
    if isinstance(people, str) or ends <= starts or ends.astimezone(dt.UTC) <= request.now:
        return Reply(text=usage)
    refused = await _refused_people(request, party, people)
    if refused is not None:
        return refused
    await ensure_policy(request.repos, party, request.now, default_tz)
    await add_override(
        request.repos,
        party,
        people[0],
        starts.astimezone(dt.UTC),
        ends.astimezone(dt.UTC),
        request.caller.person,
    )
    return Reply(
        text=t.gettext("{person} covers {party} from {start} to {end} ({zone}).").format(
            person=esc(people[0].name or str(people[0].telegram_id)),
            party=esc(party.name),
            start=request.args[2].replace("T", " "),
            end=request.args[3].replace("T", " "),
            zone=dates.zone_name(zone, t),
        )
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("ask", ask),
        command("close", close),
        command("history", history),
        command("oncall", oncall),
        command("requests", requests),
        command("rotation", rotation),
        command("override", override),
        button(callbacks.Action.ASK_PARTY, pick_party),
        button(callbacks.Action.ACKNOWLEDGE, acknowledge),
        button(callbacks.Action.ANSWER, answer_button),
        button(callbacks.Action.HAND_OVER, hand_over),
        # Before onboarding's catch-all: replies may be answers or follow-ups.
        MessageHandler(filters.UpdateType.MESSAGE & filters.REPLY & ~filters.COMMAND, replied),
    ]
