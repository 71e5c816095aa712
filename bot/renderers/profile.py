"""Joining, /help, /whoami, /lang, /mydata and /forget."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.access import ROLE_NAMES, CommandSpec
from bot.domain.invites import InviteState
from bot.i18n import Translator, dates
from bot.renderers import Rendered, aside, esc, labelled, listed
from bot.services.people import Caller, JoinResult
from bot.telegram import callbacks
from db.models import Party, Role

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def party_line(party: Party, roles: list[Role], t: Translator) -> str:
    names = listed((t.gettext(ROLE_NAMES[role]) for role in roles), t)
    return "• " + labelled(aside(f"<b>{esc(party.name)}</b>", esc(party.key), t), names, t)


def render_privacy_notice(t: Translator) -> str:
    return t.gettext(
        "<b>What I store about you</b>: your Telegram id, name and username, your language "
        "and time zone, your parties and roles, and what you send me for the consortium's "
        "work. Coordinators of the consortium can see it.\n"
        "/mydata sends you all of it; /forget erases it."
    )


def render_join(result: JoinResult, t: Translator) -> Rendered:
    """The answer to /start with an invite token."""
    if result.state is InviteState.OK and result.party and result.role:
        if result.already_member:
            head = t.gettext("You already are a {role} of {party}.")
        else:
            head = t.gettext("Welcome! You have joined {party} as a {role}.")
        text = head.format(role=t.gettext(ROLE_NAMES[result.role]), party=esc(result.party.name))
        return Rendered(
            f"{text}\n\n{render_privacy_notice(t)}\n\n"
            + t.gettext("Send /help to see what I can do.")
        )
    refusals = {
        InviteState.UNKNOWN: t.gettext(
            "This invite link is not valid. Please ask your coordinator for a new one."
        ),
        InviteState.EXPIRED: t.gettext(
            "This invite link has expired. Please ask your coordinator for a new one."
        ),
        InviteState.USED_UP: t.gettext(
            "This invite link has already been used. Please ask your coordinator for a new one."
        ),
        InviteState.REVOKED: t.gettext(
            "This invite link was withdrawn. Please ask your coordinator for a new one."
        ),
        InviteState.ALREADY_USED: t.gettext("You have already used this invite link."),
    }
    return Rendered(refusals[result.state])


def render_welcome_back(caller: Caller, t: Translator) -> Rendered:
    name = esc(caller.person.name) if caller.person and caller.person.name else ""
    head = t.gettext("Hello, {name}! I am ready to work with you.").format(name=name)
    return Rendered(
        f"{head}\n\n{render_privacy_notice(t)}\n\n" + t.gettext("Send /help to see what I can do.")
    )


def render_help(commands: list[CommandSpec], t: Translator) -> Rendered:
    lines = [t.gettext("<b>What you can do here</b>")]
    lines += [f"/{spec.name} — {esc(t.gettext(spec.description))}" for spec in commands]
    return Rendered("\n".join(lines))


def render_whoami(caller: Caller, t: Translator) -> Rendered:
    person = caller.person
    name = esc(person.name) if person and person.name else "—"
    lines = [t.gettext("<b>{name}</b> (Telegram id {id})").format(name=name, id=caller.telegram_id)]
    parties = caller.parties()
    if parties:
        lines.append(t.gettext("Parties and roles:"))
        lines += [party_line(party, roles, t) for party, roles in parties.values()]
    else:
        lines.append(t.gettext("You have no role in the consortium yet."))
    lines.append(t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[caller.language]))
    zone = aside(dates.zone_name(caller.timezone, t), esc(caller.timezone), t)  # the id as typed
    lines.append(t.gettext("Time zone: {timezone}").format(timezone=zone))
    if person is not None and not person.can_message:
        lines.append(
            t.gettext("I cannot write to you privately yet: open a private chat and press Start.")
        )
    return Rendered("\n".join(lines))


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    name, callback_data=callbacks.encode(callbacks.Action.LANGUAGE, code)
                )
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def render_language_choice(t: Translator) -> Rendered:
    return Rendered(t.gettext("Choose your language:"), language_keyboard())


def render_language_set(t: Translator) -> Rendered:
    """Said in the newly chosen language."""
    return Rendered(t.gettext("From now on I will speak English with you."))


def render_language_usage(t: Translator) -> Rendered:
    return Rendered(
        t.gettext("I speak English (/lang en) and Chinese (/lang zh)."), language_keyboard()
    )


def render_mydata_caption(t: Translator) -> str:
    return t.gettext("Everything I store about you. /forget erases it.")


def render_forget_confirm(telegram_id: int, t: Translator) -> Rendered:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Yes, erase my data"),
                    callback_data=callbacks.encode(
                        callbacks.Action.FORGET, telegram_id, callbacks.Answer.YES
                    ),
                ),
                InlineKeyboardButton(
                    t.gettext("No, keep it"),
                    callback_data=callbacks.encode(
                        callbacks.Action.FORGET, telegram_id, callbacks.Answer.NO
                    ),
                ),
            ]
        ]
    )
    return Rendered(
        t.gettext(
            "Erase everything I store about you? You will leave all your parties and roles, "
            "and a coordinator will need to invite you again. This cannot be undone."
        ),
        keyboard,
    )


def render_forgotten(t: Translator) -> Rendered:
    return Rendered(t.gettext("Done: I have erased everything I stored about you. Goodbye!"))


def render_forget_cancelled(t: Translator) -> Rendered:
    return Rendered(t.gettext("Nothing was erased."))


def render_forgotten_notice(name: str, t: Translator) -> Rendered:
    """To coordinators, when someone has erased their data."""
    return Rendered(
        t.gettext("{name} has left the consortium and had their data erased.").format(
            name=esc(name)
        )
    )


def render_not_yours(t: Translator) -> str:
    return t.gettext("This button is not for you.")


def render_stale_button(t: Translator) -> str:
    return t.gettext("This button is no longer valid.")
