"""The operator's commands behind `python -m bot people` and `python -m bot invite`."""

from __future__ import annotations

import datetime as dt

import httpx

from bot.config import Settings
from bot.domain.invites import InviteRequest
from bot.services.people import NewInvite, create_invite
from db.engine import Database
from db.migrate import upgrade
from db.models import Role


class AdminError(Exception):
    """A problem told to the operator in one line."""


async def list_people(settings: Settings, find: str | None, role: str | None) -> list[str]:
    """One line per person: Telegram id, name, party:role..., and whether they joined."""
    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database.engine)
        async with database.transaction() as repos:
            parties = {p.id: p.key for p in await repos.parties.all()}
            roles: dict[int, list[str]] = {}
            for membership in await repos.memberships.all():
                roles.setdefault(membership.person_id, []).append(
                    f"{parties[membership.party_id]}:{membership.role.value}"
                )
            lines = []
            needle = (find or "").lower()
            for person in await repos.people.all():
                held = sorted(roles.get(person.id, []))
                if role and not any(r.endswith(f":{role}") for r in held):
                    continue
                text = f"{person.telegram_id} {person.name or ''} {person.username or ''}"
                if needle and needle not in text.lower() and needle not in " ".join(held):
                    continue
                joined = "joined" if person.consented_at else "not joined"
                lines.append(
                    f"{person.telegram_id:>12}  {person.name or '-':<28} "
                    f"{', '.join(held) or '-':<36} {joined}"
                )
            return lines
    finally:
        await database.dispose()


async def bot_username(settings: Settings) -> str | None:
    """The bot's @username from the Bot API, or None when it cannot be asked."""
    if settings.telegram_bot_token is None:
        return None
    url = f"{settings.api_base_url}{settings.telegram_bot_token.get_secret_value()}/getMe"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = (await client.get(url)).json()
    except (httpx.HTTPError, ValueError):
        return None
    return str(answer["result"]["username"]) if answer.get("ok") else None


async def new_invite(settings: Settings, party: str, role: str, uses: int, days: int) -> NewInvite:
    try:
        wanted = Role(role)
    except ValueError:
        raise AdminError(
            f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}"
        ) from None
    if not 1 <= uses <= 500 or not 1 <= days <= 365:
        raise AdminError("--uses must be 1-500 and --days 1-365")
    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database.engine)
        async with database.transaction() as repos:
            created = await create_invite(
                repos, InviteRequest(party, wanted, uses, days), None, dt.datetime.now(dt.UTC)
            )
            if created is None:
                keys = ", ".join(p.key for p in await repos.parties.all()) or "none yet"
                raise AdminError(f"unknown party {party!r} (parties: {keys})")
            return created
    finally:
        await database.dispose()
