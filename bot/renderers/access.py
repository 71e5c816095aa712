"""What strangers and people without the right role are told: how to get in, nothing more;
and what a refused button press or an edited message is answered."""

from __future__ import annotations

from bot.domain.access import ROLE_NAMES, CommandSpec, Restricted, Where
from bot.i18n import Translator
from bot.renderers import Rendered, esc, listed
from bot.telegram.callbacks import Refusal


def render_stranger(t: Translator) -> Rendered:
    return Rendered(
        t.gettext(
            "Hello! I work only for the members of a training consortium.\n\n"
            "To join, ask your consortium's coordinator for an invite link and open it: "
            "it brings you back here and signs you in."
        )
    )


def render_stranger_in_group(t: Translator) -> Rendered:
    return Rendered(
        t.gettext(
            "Sorry, I work only for consortium members. Ask a coordinator for an invite link."
        )
    )


def render_role_refusal(spec: CommandSpec, t: Translator) -> Rendered:
    roles = sorted(spec.roles or ())
    names = listed((t.gettext(ROLE_NAMES[role]) for role in roles), t)
    return Rendered(
        t.gettext("/{command} is only for: {roles}.").format(roles=names, command=spec.name)
    )


def render_restricted(restricted: Restricted, t: Translator) -> Rendered:
    return Rendered(t.gettext(restricted.refusal))


def render_wrong_chat(spec: CommandSpec, t: Translator) -> Rendered:
    if spec.where is Where.PRIVATE:
        text = t.gettext("Please send /{command} to me in a private chat.")
    else:
        text = t.gettext("/{command} works in a group chat: send it there.")
    return Rendered(text.format(command=spec.name))


def render_error(t: Translator) -> Rendered:
    return Rendered(
        t.gettext(
            "Sorry, something went wrong on my side and nothing was changed. Please try again."
        )
    )


def render_sent_privately(name: str, t: Translator) -> str:
    """In a group, where a personal answer went instead."""
    return t.gettext("{name}, I sent you the answer in a private chat.").format(name=esc(name))


def render_start_first(name: str, bot_username: str, t: Translator) -> str:
    """In a group, when a personal answer cannot go privately: the person never pressed
    Start (or blocked the bot), so Telegram refuses the private message."""
    link = f'<a href="https://t.me/{esc(bot_username)}">@{esc(bot_username)}</a>'
    return t.gettext(
        "{name}, I answer this only in a private chat, and you have not started one with me "
        "yet: open {link}, press Start, then send the command again."
    ).format(name=esc(name), link=link)


def render_button_refusal(refusal: Refusal | None, t: Translator) -> str:
    """The answer to a press that changes nothing (a button's answer: at most 200 characters)."""
    if refusal is Refusal.NOT_YOURS:
        return t.gettext("This button is not for you.")
    return t.gettext("This button is no longer valid.")


def render_edit_ignored(t: Translator) -> Rendered:
    return Rendered(
        t.gettext(
            "I do not act on edited messages, so your edit changed nothing. To run a command "
            "again, send it as a new message; a draft's answers can be changed on its review "
            "screen before you submit it."
        )
    )
