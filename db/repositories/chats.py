"""The group chats the bot is in, and a group's move to a supergroup."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Chat, CheckinPoll, LiaisonRequest, Outbox, OutboxState
from db.repositories.statements import CHAT, LINKED_GROUPS


class ChatRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Chat | None:
        return await self.session.scalar(CHAT, {"telegram_id": telegram_id})

    async def all(self) -> Sequence[Chat]:
        return (await self.session.scalars(select(Chat).order_by(Chat.telegram_id))).all()

    async def linked_active(self) -> Sequence[Chat]:
        return (await self.session.scalars(LINKED_GROUPS)).all()

    async def add(self, chat: Chat) -> Chat:
        self.session.add(chat)
        await self.session.flush()
        return chat

    async def move(self, old_id: int, new_id: int) -> None:
        """A group upgraded to a supergroup has a new Telegram id: its record, the questions
        asked in it and the messages still to be sent there move to the new id. Messages
        already sent stay where they went; so does stopping a poll sent to the old group
        (it lives there)."""
        chat = await self.by_telegram_id(old_id)
        known = await self.by_telegram_id(new_id)
        if chat is not None and known is not None:  # both recorded: keep the group's settings
            known.linked, known.active = known.linked or chat.linked, True
            known.party_id = known.party_id or chat.party_id
            known.language = known.language or chat.language
            await self.session.delete(chat)
        elif chat is not None:
            chat.telegram_id, chat.type = new_id, "supergroup"
        # Message ids are the old group's: in the supergroup they would name other messages,
        # so what moves replies to nothing (0: the question stayed in the old group).
        await self.session.execute(
            update(LiaisonRequest)
            .where(LiaisonRequest.chat_id == old_id)
            .values(chat_id=new_id, question_message_id=0)
        )
        await self.session.execute(
            update(Outbox)
            .where(
                Outbox.chat_id == old_id,
                Outbox.state == OutboxState.PENDING,
                Outbox.kind != "stop_poll",
            )
            .values(chat_id=new_id, reply_to_message_id=None)
        )
        await self.session.execute(  # a poll not sent yet goes with its outbox row
            update(CheckinPoll)
            .where(CheckinPoll.chat_id == old_id, CheckinPoll.message_id.is_(None))
            .values(chat_id=new_id)
        )
        await self.session.flush()
