"""What the on-call liaison says: deliveries to contacts, answers, /oncall and /requests."""

from __future__ import annotations

import datetime as dt

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator, dates
from bot.renderers import Rendered, aside, esc, listed, said
from bot.telegram import callbacks
from db.models import LiaisonRequest, Party, Person, RequestState


def state_name(state: RequestState, t: Translator) -> str:
    names = {
        RequestState.HELD: t.gettext("held until morning"),
        RequestState.OPEN: t.gettext("waiting"),
        RequestState.ACKNOWLEDGED: t.gettext("acknowledged"),
        RequestState.ANSWERED: t.gettext("answered"),
        RequestState.CLOSED: t.gettext("closed"),
    }
    return names[state]


def name_of(person: Person | None) -> str:
    if person is None:
        return "—"
    return person.name or str(person.telegram_id)


def render_delivery(
    request: LiaisonRequest,
    party: Party,
    asker: Person | None,
    where: str,
    reason: str,
    t: Translator,
) -> Rendered:
    """The question, privately to a contact, with Acknowledge / Answer / Hand over."""
    heads = {
        "first": t.gettext("Question #{id} for {party}, you are on call"),
        "urgent": t.gettext("URGENT question #{id} for {party}, you are on call"),
        "escalation": t.gettext("Question #{id} for {party} is still unacknowledged"),
        "handover": t.gettext("Question #{id} for {party} was handed over to you"),
        "no_contact": t.gettext("Question #{id} for {party}: the party has no one on call"),
    }
    head = heads.get(reason, heads["first"]).format(id=request.id, party=esc(party.name))
    body = t.gettext("From {asker} in {where}:").format(asker=esc(name_of(asker)), where=esc(where))
    hint = t.gettext("Reply to this message to answer; your answer goes back where it was asked.")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Acknowledge"),
                    callback_data=callbacks.encode(callbacks.Action.ACKNOWLEDGE, request.id),
                ),
                InlineKeyboardButton(
                    t.gettext("Answer"),
                    callback_data=callbacks.encode(callbacks.Action.ANSWER, request.id),
                ),
                InlineKeyboardButton(
                    t.gettext("Hand over"),
                    callback_data=callbacks.encode(callbacks.Action.HAND_OVER, request.id),
                ),
            ]
        ]
    )
    question = esc(said(request.question, t))
    return Rendered(
        f"<b>{head}</b>\n{body}\n<blockquote>{question}</blockquote>\n<i>{hint}</i>",
        keyboard,
    )


def render_routed(
    request: LiaisonRequest, party: Party, contact: Person | None, t: Translator
) -> Rendered:
    """To the asker: where the question went."""
    if contact is None:
        text = t.gettext("Question #{id} sent to {party}'s coordinators (no one is on call).")
        return Rendered(text.format(id=request.id, party=esc(party.name)))
    text = t.gettext("Question #{id} sent to {party}: {contact} is on call.")
    return Rendered(
        text.format(id=request.id, party=esc(party.name), contact=esc(name_of(contact)))
    )


def render_held(
    request: LiaisonRequest,
    party: Party,
    contact: Person,
    until: dt.datetime,
    zone: str,
    t: Translator,
) -> Rendered:
    text = t.gettext(
        "It is night for {contact} of {party}: question #{id} will reach them at {time} "
        "({zone}). If it cannot wait, ask again with /ask! to mark it urgent."
    )
    return Rendered(
        text.format(
            contact=esc(name_of(contact)),
            party=esc(party.name),
            id=request.id,
            time=dates.moment(until, zone, t),
            zone=dates.zone_name(zone, t),
        )
    )


def render_answer(
    request: LiaisonRequest, party: Party, author: Person | None, text: str | None, t: Translator
) -> Rendered:
    head = t.gettext("Answer to #{id} from {author} ({party}):").format(
        id=request.id, author=esc(name_of(author)), party=esc(party.name)
    )
    hint = t.gettext("Reply to this message to follow up.")
    return Rendered(f"<b>{head}</b>\n{esc(text or '')}\n<i>{hint}</i>")


def render_follow_up(
    request: LiaisonRequest, author: Person | None, text: str | None, t: Translator
) -> Rendered:
    head = t.gettext("Follow-up on #{id} from {author}:").format(
        id=request.id, author=esc(name_of(author))
    )
    hint = t.gettext("Reply to this message to answer.")
    return Rendered(f"<b>{head}</b>\n{esc(text or '')}\n<i>{hint}</i>")


def render_answer_prompt(request: LiaisonRequest, t: Translator) -> tuple[str, ForceReply]:
    text = t.gettext(
        "Write your answer to #{id} as a reply to this message (text, a photo or a document)."
    ).format(id=request.id)
    return text, ForceReply(selective=True)


def render_must_start(
    person: Person, party: Party, request: LiaisonRequest, link: str, t: Translator
) -> Rendered:
    text = t.gettext(
        "I could not reach {person} of {party} with question #{id}: they have not pressed "
        "Start in a private chat with me, or they blocked me. Please ask them to open {link} "
        "and press Start. The question has moved on to the next step."
    )
    return Rendered(
        text.format(person=esc(name_of(person)), party=esc(party.name), id=request.id, link=link)
    )


def render_refused(request: LiaisonRequest, purpose: str, reason: str, t: Translator) -> Rendered:
    """To the person whose answer, question or follow-up Telegram refused to deliver."""
    if purpose == "liaison.answer":
        text = t.gettext(
            "Your answer to question #{id} did not reach the chat where it was asked: "
            "Telegram refused it ({reason}). Nothing was posted there. Please send it again, "
            "shorter or as a file."
        )
    else:
        text = t.gettext(
            "Your message about question #{id} did not reach the contact: Telegram refused it "
            "({reason}). Please send it again, shorter or as a file."
        )
    return Rendered(text.format(id=request.id, reason=f"<code>{esc(reason)}</code>"))


def render_ask_usage(parties: list[Party], t: Translator) -> Rendered:
    keys = listed((f"<code>{esc(p.key)}</code>" for p in parties), t)
    return Rendered(
        t.gettext(
            "Usage: /ask PARTY your question (or /ask! for an urgent one). Parties: {keys}"
        ).format(keys=keys)
    )


def render_pick_party(parties: list[Party], asker_id: int, t: Translator) -> Rendered:
    rows = [
        [
            InlineKeyboardButton(
                p.name[:60],
                callback_data=callbacks.encode(callbacks.Action.ASK_PARTY, p.id, asker_id),
            )
        ]
        for p in parties
    ]
    return Rendered(t.gettext("Which party is your question for?"), InlineKeyboardMarkup(rows))


def render_request_line(
    request: LiaisonRequest, party: Party, now: dt.datetime, t: Translator
) -> str:
    age = dates.duration(now - request.opened_at, t)
    question = said(request.question, t)
    question = question if len(question) <= 60 else question[:57] + "…"
    return (
        f"#{request.id} <b>{esc(party.key)}</b> · {state_name(request.state, t)} · {age} · "
        f"{esc(question)}"
    )


def render_figure_line(
    key: str,
    requests: int,
    ack: dt.timedelta | None,
    answer: dt.timedelta | None,
    escalated: float | None,
    t: Translator,
) -> str:
    """One party's line in /requests' last 30 days: count, medians, share escalated."""

    def span(delta: dt.timedelta | None) -> str:
        return "—" if delta is None else dates.duration(delta, t)

    return t.ngettext(
        "{party}: {n} question, {ack} / {answer}, {share}",
        "{party}: {n} questions, {ack} / {answer}, {share}",
        requests,
    ).format(
        party=esc(key),
        n=requests,
        ack=span(ack),
        answer=span(answer),
        share=f"{round(100 * (escalated or 0))}%",
    )


def render_oncall_line(
    party: Party,
    now_person: Person | None,
    next_person: Person | None,
    change: dt.datetime | None,
    zone: str,
    by_override: bool,
    t: Translator,
) -> str:
    if now_person is None:
        return t.gettext("<b>{party}</b>: no one on call").format(party=esc(party.name))
    line = t.gettext("<b>{party}</b>: {person} now").format(
        party=esc(party.name), person=esc(name_of(now_person))
    )
    if by_override:
        line = aside(line, t.gettext("covering"), t)
    if change is not None and next_person is not None:
        # TRANSLATORS: between the one on call now and the next.
        line += t.gettext("; ") + t.gettext("then {person} from {time} ({zone})").format(
            person=esc(name_of(next_person)),
            time=dates.moment(change, zone, t),
            zone=dates.zone_name(zone, t),
        )
    return line


def event_name(kind: str, t: Translator) -> str:
    names = {
        "opened": t.gettext("asked"),
        "held": t.gettext("held for the night"),
        "delivered": t.gettext("delivered"),
        "delivery_failed": t.gettext("could not be delivered"),
        "delivery_refused": t.gettext("refused by Telegram, not delivered"),
        "escalated": t.gettext("escalated"),
        "acknowledged": t.gettext("acknowledged"),
        "handed_over": t.gettext("handed over"),
        "answered": t.gettext("answered"),
        "follow_up": t.gettext("followed up"),
        "closed": t.gettext("closed"),
    }
    return names.get(kind, kind)


def ack_text(reason: str, t: Translator) -> str:
    texts = {
        "acknowledged": t.gettext("Acknowledged: no one else will be alerted."),
        "already": t.gettext("This question was already acknowledged or closed."),
        "not_yours": t.gettext("This question is not for you."),
        "unknown": t.gettext("This question no longer exists."),
        "closed": t.gettext("This question is closed."),
        "nobody": t.gettext("There is no one to hand it over to."),
        "handed_over": t.gettext("Handed over."),
    }
    return texts.get(reason, texts["unknown"])
