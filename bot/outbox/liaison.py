"""Notices from the services, rendered in each recipient's language and written to the
outbox in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.context import Services
from bot.domain.language import resolve_language
from bot.i18n import Translator
from bot.outbox.writer import add_message
from bot.renderers.liaison import (
    render_answer,
    render_answer_prompt,
    render_delivery,
    render_follow_up,
    render_must_start,
    render_refused,
)
from bot.services.liaison import Notice, NoticeKind
from db.models import Chat, LiaisonRequest, Outbox, OutboxState, Person
from db.repositories import Repos

# Outbox purposes whose sent message collects replies for its request, and whose replies
# count as: answers from a contact, or follow-ups from the asker's chat.
CONTACT_PURPOSES = frozenset({"liaison.deliver", "liaison.prompt", "liaison.follow_up"})
ASKER_PURPOSES = frozenset({"liaison.answer"})


class Notifier:
    def __init__(self, services: Services, repos: Repos, bot_username: str) -> None:
        self.services = services
        self.repos = repos
        self.bot_username = bot_username

    async def _translator(self, person: Person | None) -> Translator:
        consortium = await self.repos.consortium.get()
        language = resolve_language(
            person.language if person else None,
            None,
            consortium.language if consortium else self.services.settings.default_language,
        )
        return self.services.translations.for_language(language)

    async def _group(self, request: LiaisonRequest) -> Chat | None:
        """The group where a question was asked; None for a private chat (Telegram gives
        private chats positive ids, groups negative ones)."""
        if request.chat_id > 0:
            return None
        return await self.repos.chats.by_telegram_id(request.chat_id)

    async def _chat_translator(self, request: LiaisonRequest) -> Translator:
        """The language of the chat where a question was asked."""
        chat = await self._group(request)
        if chat is not None and chat.language:
            return self.services.translations.for_language(chat.language)
        if chat is None:  # a private chat: the asker's own language
            asker = await self.repos.people.by_id(request.asker_id) if request.asker_id else None
            return await self._translator(asker)
        return await self._translator(None)

    async def where(self, request: LiaisonRequest, t: Translator) -> str:
        chat = await self._group(request)
        if chat is None:
            return t.gettext("a private chat")
        return chat.title or str(chat.telegram_id)

    async def enqueue(self, notices: list[Notice], now: dt.datetime) -> None:
        self._now = now
        for notice in notices:
            await self._enqueue_one(notice, now)

    async def _enqueue_one(self, notice: Notice, now: dt.datetime) -> None:
        request, party = notice.request, notice.party
        if notice.kind is NoticeKind.ANSWER:
            t = await self._chat_translator(request)
            rendered = render_answer(request, party, notice.author, notice.text, t)
            await self._add(
                request.chat_id,
                rendered.text,
                None,
                now,
                request,
                None,
                "liaison.answer",
                reply_to=request.question_message_id,
                thread=request.thread_id,
                file_id=notice.file_id,
                file_kind=notice.file_kind,
            )
            return
        person = notice.person
        assert person is not None
        t = await self._translator(person)
        if notice.kind is NoticeKind.DELIVER:
            asker = await self.repos.people.by_id(request.asker_id) if request.asker_id else None
            rendered = render_delivery(
                request, party, asker, await self.where(request, t), notice.reason, t
            )
            await self._add(
                person.telegram_id,
                rendered.text,
                rendered.keyboard,
                notice.not_before or now,
                request,
                person,
                "liaison.deliver",
            )
        elif notice.kind is NoticeKind.FOLLOW_UP:
            rendered = render_follow_up(request, notice.author, notice.text, t)
            await self._add(
                person.telegram_id,
                rendered.text,
                None,
                now,
                request,
                person,
                "liaison.follow_up",
                file_id=notice.file_id,
                file_kind=notice.file_kind,
            )
        elif notice.kind is NoticeKind.ANSWER_PROMPT:
            text, force_reply = render_answer_prompt(request, t)
            await self._add(
                person.telegram_id,
                text,
                None,
                now,
                request,
                person,
                "liaison.prompt",
                markup=force_reply.to_dict(),
            )
        elif notice.kind is NoticeKind.REFUSED:
            rendered = render_refused(request, notice.reason, notice.text or "", t)
            await self._add(
                person.telegram_id, rendered.text, None, now, request, person, "liaison.refused"
            )
        elif notice.kind is NoticeKind.MUST_START:
            assert notice.author is not None
            link = f"https://t.me/{self.bot_username}"
            rendered = render_must_start(notice.author, party, request, link, t)
            await self._add(
                person.telegram_id, rendered.text, None, now, request, person, "liaison.must_start"
            )

    async def _add(
        self,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
        not_before: dt.datetime,
        request: LiaisonRequest | None,
        person: Person | None,
        purpose: str,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
        file_id: str | None = None,
        file_kind: str | None = None,
        markup: dict[str, Any] | None = None,
    ) -> None:
        await add_message(
            self.repos,
            Outbox(
                chat_id=chat_id,
                text=text,
                reply_markup=markup or (keyboard.to_dict() if keyboard else None),
                reply_to_message_id=reply_to,
                thread_id=thread,
                file_id=file_id,
                file_kind=file_kind,
                purpose=purpose,
                request_id=request.id if request else None,
                person_id=person.id if person else None,
                state=OutboxState.PENDING,
                attempts=0,
                not_before=not_before,
                created_at=self._now,
            ),
        )
