"""Coordinators' answers: invites and group linking."""

from __future__ import annotations

from bot.domain.access import ROLE_NAMES
from bot.domain.invites import MAX_DAYS, MAX_USES, InviteArgsError, deep_link
from bot.i18n import Translator, dates
from bot.renderers import Rendered, esc, listed
from bot.services.chats import LinkResult
from bot.services.people import NewInvite
from db.models import Party, Role


def render_invite(invite: NewInvite, bot_username: str, timezone: str, t: Translator) -> Rendered:
    link = deep_link(bot_username, invite.token)
    uses = t.ngettext("It can be used once", "It can be used {n} times", invite.uses).format(
        n=invite.uses
    )
    text = t.gettext(
        "Invite to join <b>{party}</b> as a {role}:\n{link}\n\n"
        "{uses} and expires on {expires} ({timezone}). Share it only with the people it is for."
    ).format(
        party=esc(invite.party.name),
        role=t.gettext(ROLE_NAMES[invite.role]),
        link=link,
        uses=uses,
        expires=dates.moment(invite.expires_at, timezone, t),
        timezone=dates.zone_name(timezone, t),
    )
    return Rendered(text)


def render_invite_problem(
    error: InviteArgsError, value: str, parties: list[Party], t: Translator
) -> Rendered:
    usage = t.gettext(
        "Usage: /invite PARTY ROLE [COUNT] [DAYSd], for example /invite nbu student 30 14d"
    )
    if error is InviteArgsError.ROLE:
        problem = t.gettext("Unknown role {value}. Roles: {roles}.").format(
            value=esc(value), roles=", ".join(role.value for role in Role)
        )
    elif error is InviteArgsError.USES:
        problem = t.gettext("The count must be between 1 and {max}.").format(max=MAX_USES)
    elif error is InviteArgsError.DAYS:
        problem = t.gettext("The validity must be between 1d and {max}d.").format(max=MAX_DAYS)
    elif value:
        problem = t.gettext("I did not understand {value}.").format(value=esc(value))
    else:
        problem = ""
    keys = render_party_keys(parties, t)
    return Rendered("\n".join(part for part in (problem, usage, keys) if part))


def render_unknown_party(key: str, parties: list[Party], t: Translator) -> Rendered:
    problem = t.gettext("There is no party {key}.").format(key=esc(key))
    return Rendered(f"{problem}\n{render_party_keys(parties, t)}")


def render_party_keys(parties: list[Party], t: Translator) -> str:
    if not parties:
        return t.gettext("No parties yet: import the consortium file first.")
    keys = listed((f"<code>{esc(p.key)}</code>" for p in parties), t)
    return t.gettext("Parties: {keys}").format(keys=keys)


def render_bot_added(t: Translator) -> Rendered:
    return Rendered(
        t.gettext(
            "Hello! I am the consortium's assistant. A coordinator can link this group "
            "with /link (or /link PARTY for one party's group); until then I stay quiet here."
        )
    )


def render_linked(result: LinkResult, t: Translator) -> Rendered:
    if result.party is not None:
        text = t.gettext("This group is now linked to the consortium, for {party}.").format(
            party=esc(result.party.name)
        )
    else:
        text = t.gettext("This group is now linked to the consortium.")
    return Rendered(text)


def render_unlinked(was_linked: bool, t: Translator) -> Rendered:
    if was_linked:
        return Rendered(t.gettext("This group is no longer linked to the consortium."))
    return Rendered(t.gettext("This group was not linked."))
