"""The liaison's messages that must arrive: the notices of `bot.services.liaison`, rendered
in each recipient's language (an answer in the language of the chat that asked) and written
to the outbox in the caller's transaction."""

from __future__ import annotations

import datetime as dt

from telegram import ForceReply, InlineKeyboardMarkup

from bot.context import Services
from bot.i18n import Translator, resolve_language
from bot.outbox.sender import Hooks, Refusal, Sent
from bot.outbox.writer import OutboxWriter
from bot.renderers.liaison import (
    render_answer,
    render_answer_prompt,
    render_delivery,
    render_follow_up,
    render_must_start,
    render_refused,
)
from bot.services import liaison
from bot.services.context import ServiceContext
from bot.services.liaison import Notice, NoticeKind
from db.models import Chat, LiaisonRequest, Person
from db.repositories import Repos

# Outbox purposes whose sent message collects replies for its request, and whose replies
# count as: answers from a contact, or follow-ups from the asker's chat.
CONTACT_PURPOSES = frozenset({"liaison.deliver", "liaison.prompt", "liaison.follow_up"})
ASKER_PURPOSES = frozenset({"liaison.answer"})


def register(hooks: Hooks) -> None:
    """What the liaison does when its messages are sent or refused."""
    hooks.on_sent(CONTACT_PURPOSES | ASKER_PURPOSES, _remember)
    hooks.on_blocked({"liaison.deliver"}, _contact_blocked)
    hooks.on_refused(CONTACT_PURPOSES | ASKER_PURPOSES, _words_refused)


async def _remember(services: Services, repos: Repos, now: dt.datetime, sent: list[Sent]) -> None:
    """Messages sent for a request are remembered, so that a reply to one finds it."""
    await repos.requests.remember_messages(
        [
            (s.chat_id, s.message_id, s.request_id, _role(s.purpose))
            for s in sent
            if s.request_id is not None
        ]
    )


def _role(purpose: str) -> str:
    return "contact" if purpose in CONTACT_PURPOSES else "asker"


async def _contact_blocked(
    services: Services, repos: Repos, now: dt.datetime, refusal: Refusal
) -> None:
    """403: the contact a request was delivered to cannot be written to: the liaison moves
    to its next step."""
    row, person = refusal.row, refusal.person
    if row.request_id is None or person is None:
        return
    context = ServiceContext(repos, now, services.settings.default_timezone)
    notices = await liaison.delivery_failed(context, row.request_id, person, refusal.error)
    await LiaisonOutbox(services, repos, now, refusal.bot.username).enqueue(notices)


async def _words_refused(
    services: Services, repos: Repos, now: dt.datetime, refusal: Refusal
) -> None:
    """400: Telegram refused a message carrying someone's words: they are told."""
    row = refusal.row
    if row.request_id is None:
        return
    context = ServiceContext(repos, now, services.settings.default_timezone)
    notices = await liaison.delivery_refused(context, row.request_id, row.purpose, refusal.error)
    await LiaisonOutbox(services, repos, now, refusal.bot.username).enqueue(notices)


class LiaisonOutbox(OutboxWriter):
    def __init__(
        self, services: Services, repos: Repos, now: dt.datetime, bot_username: str
    ) -> None:
        super().__init__(services, repos, now)
        self.bot_username = bot_username  # a must-start notice links to the bot

    async def _translator(self, person: Person | None) -> Translator:
        """A person's language; before any consortium is loaded, the settings' default
        language (the other features' writers fall back to English)."""
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
        return await self.repos.requests.chat(request.chat_id)

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

    async def enqueue(self, notices: list[Notice]) -> None:
        for notice in notices:
            await self._enqueue_one(notice)

    async def _enqueue_one(self, notice: Notice) -> None:
        request, party = notice.request, notice.party
        if notice.kind is NoticeKind.ANSWER:
            t = await self._chat_translator(request)
            rendered = render_answer(request, party, notice.author, notice.text, t)
            await self._add(
                request.chat_id,
                "liaison.answer",
                text=rendered.text,
                reply_to=request.question_message_id,
                thread=request.thread_id,
                file=_file(notice),
                request_id=request.id,
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
            await self._to(
                person,
                request,
                "liaison.deliver",
                rendered.text,
                keyboard=rendered.keyboard,
                not_before=notice.not_before,
            )
        elif notice.kind is NoticeKind.FOLLOW_UP:
            rendered = render_follow_up(request, notice.author, notice.text, t)
            await self._to(person, request, "liaison.follow_up", rendered.text, file=_file(notice))
        elif notice.kind is NoticeKind.ANSWER_PROMPT:
            text, force_reply = render_answer_prompt(request, t)
            await self._to(person, request, "liaison.prompt", text, keyboard=force_reply)
        elif notice.kind is NoticeKind.REFUSED:
            rendered = render_refused(request, notice.reason, notice.text or "", t)
            await self._to(person, request, "liaison.refused", rendered.text)
        elif notice.kind is NoticeKind.MUST_START:
            assert notice.author is not None
            link = f"https://t.me/{self.bot_username}"
            rendered = render_must_start(notice.author, party, request, link, t)
            await self._to(person, request, "liaison.must_start", rendered.text)

    async def _to(
        self,
        person: Person,
        request: LiaisonRequest,
        purpose: str,
        text: str,
        *,
        keyboard: InlineKeyboardMarkup | ForceReply | None = None,
        file: tuple[str, str] | None = None,
        not_before: dt.datetime | None = None,
    ) -> None:
        """One message to a person about a request, in their private chat."""
        await self._add(
            person.telegram_id,
            purpose,
            text=text,
            keyboard=keyboard,
            file=file,
            person=person,
            request_id=request.id,
            not_before=not_before,
        )


def _file(notice: Notice) -> tuple[str, str] | None:
    """The photo or document an answer or follow-up carries, as (kind, file_id)."""
    if notice.file_id is None or notice.file_kind is None:
        return None
    return notice.file_kind, notice.file_id
