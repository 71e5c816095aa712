"""Group chats: the bot added or removed, and groups linked to the consortium."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.models import Chat, Party
from db.repositories import Repos


@dataclass(frozen=True)
class ChatInfo:
    """What Telegram tells about a chat."""

    telegram_id: int
    title: str | None
    type: str
    thread_id: int | None = None  # the forum topic it was written in (None: General)


async def _upsert(repos: Repos, info: ChatInfo) -> Chat:
    chat = await repos.chats.by_telegram_id(info.telegram_id)
    if chat is None:
        chat = await repos.chats.add(
            Chat(telegram_id=info.telegram_id, title=info.title, type=info.type)
        )
    else:
        chat.title, chat.type = info.title or chat.title, info.type
    return chat


async def bot_added(repos: Repos, info: ChatInfo) -> Chat:
    chat = await _upsert(repos, info)
    chat.active = True
    await repos.flush()
    return chat


async def bot_removed(repos: Repos, telegram_id: int) -> Chat | None:
    """The bot left or was removed: the chat stays on record, inactive."""
    chat = await repos.chats.by_telegram_id(telegram_id)
    if chat is not None:
        chat.active = False
        await repos.flush()
    return chat


class LinkOutcome(StrEnum):
    LINKED = "linked"
    UNKNOWN_PARTY = "unknown_party"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    chat: Chat | None = None
    party: Party | None = None
    was_linked: bool = False


async def link_chat(repos: Repos, info: ChatInfo, party_key: str | None) -> LinkResult:
    party = None
    if party_key is not None:
        party = await repos.parties.by_key(party_key.lower())
        if party is None:
            return LinkResult(LinkOutcome.UNKNOWN_PARTY)
    chat = await _upsert(repos, info)
    was_linked = chat.linked
    chat.linked, chat.active = True, True
    chat.party_id = party.id if party else None
    chat.thread_id = info.thread_id  # linked in a topic: the group's messages go there
    await repos.flush()
    return LinkResult(LinkOutcome.LINKED, chat, party, was_linked)


async def unlink_chat(repos: Repos, telegram_id: int) -> bool:
    """Detach a group; False when it was not linked."""
    chat = await repos.chats.by_telegram_id(telegram_id)
    if chat is None or not chat.linked:
        return False
    chat.linked = False
    chat.party_id = None
    await repos.flush()
    return True


async def migrate_chat(repos: Repos, old_id: int, new_id: int) -> None:
    """A group became a supergroup and got a new id: its record, its questions and the
    messages waiting for it move there (`ChatRepo.move`)."""
    await repos.chats.move(old_id, new_id)
