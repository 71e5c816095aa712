"""Writing messages that must arrive: each recipient's language, and the outbox rows of each
message in the caller's transaction (the sender sends them after commit). A message
Telegram would refuse as too long is written as several rows that each fit (`add_message`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup

from bot.context import Services
from bot.domain.telegram_text import fit_message
from bot.i18n import Translator, resolve_language
from bot.renderers import Rendered
from db.models import Chat, Outbox, OutboxState, Person
from db.repositories import Repos

TEXT_COLUMN = 4096  # Outbox.text is String(4096): the HTML of each row fits in it


async def add_message(repos: Repos, message: Outbox) -> int:
    """Write a message to the outbox as rows Telegram takes, in order; the first row's id.

    A text too long for one message becomes several rows, cut on a paragraph, line or word
    boundary, with the buttons on the last and the reply on the first; a caption too long for
    its photo or document follows the file as message rows. Nothing is cut off, and each
    row's HTML fits its column."""
    if (message.kind or "message") != "message" or not message.text:  # a poll, a bare file
        return await repos.outbox.add(message)
    has_file = message.file_id is not None
    caption, texts = fit_message(message.text, with_file=has_file, max_chars=TEXT_COLUMN)
    if (caption is not None and not texts) or (not has_file and texts == [message.text]):
        return await repos.outbox.add(message)
    given = repos.outbox.given(message, without=frozenset({"text"}))  # for each row
    rows = [Outbox(**given, text=None)] if has_file else []
    file = {"file_id": None, "file_kind": None}
    rows += [Outbox(**{**given, **file}, text=text) for text in texts]
    ids = []
    for i, row in enumerate(rows):
        if i > 0:
            row.reply_to_message_id = None  # the first one replies; the rest follow it
        if i < len(rows) - 1:
            row.reply_markup = None  # the buttons go under the whole text
        ids.append(await repos.outbox.add(row))
    return ids[0]


class OutboxWriter:
    def __init__(self, services: Services, repos: Repos, now: dt.datetime) -> None:
        self.services, self.repos, self.now = services, repos, now

    async def _zone_and_language(self) -> tuple[str, str | None]:
        consortium = await self.repos.consortium.get()
        if consortium is None:
            return self.services.settings.default_timezone, None
        return consortium.timezone, consortium.language

    async def _for_chat(self, chat: Chat) -> Translator:
        _, language = await self._zone_and_language()
        return self.services.translations.for_language(
            resolve_language(chat.language, None, language)
        )

    async def _for_person(self, person: Person) -> Translator:
        _, language = await self._zone_and_language()
        return self.services.translations.for_language(
            resolve_language(person.language, None, language)
        )

    async def _each(
        self,
        people: Iterable[Person],
        purpose: str,
        render: Callable[[Translator], str | Rendered],
        skip: Person | None = None,
    ) -> None:
        """One message to each person (but `skip`), rendered in their language."""
        for person in people:
            if skip is not None and person.id == skip.id:
                continue
            rendered = render(await self._for_person(person))
            text, keyboard = (
                (rendered, None)
                if isinstance(rendered, str)
                else (rendered.text, rendered.keyboard)
            )
            await self._add(
                person.telegram_id, purpose, text=text, keyboard=keyboard, person=person
            )

    async def _add(
        self,
        chat_id: int,
        purpose: str,
        *,
        text: str | None = None,
        kind: str = "message",
        poll: dict[str, object] | None = None,
        reply_to: int | None = None,
        thread: int | None = None,
        person: Person | None = None,
        keyboard: InlineKeyboardMarkup | ForceReply | None = None,
        file: tuple[str, str] | None = None,
        request_id: int | None = None,
        not_before: dt.datetime | None = None,
    ) -> int:
        """One message (its first outbox row's id); `thread` is a forum topic of the chat
        (None: General), `file` is (kind, file_id) of a photo or document to send again,
        `request_id` the liaison request it belongs to, `not_before` when to send it (now)."""
        markup: dict[str, Any] | None = keyboard.to_dict() if keyboard else None
        return await add_message(
            self.repos,
            Outbox(
                chat_id=chat_id,
                text=text,
                kind=kind,
                poll=poll,
                reply_markup=markup,
                reply_to_message_id=reply_to,
                thread_id=thread,
                file_kind=file[0] if file else None,
                file_id=file[1] if file else None,
                purpose=purpose,
                request_id=request_id,
                person_id=person.id if person else None,
                state=OutboxState.PENDING,
                attempts=0,
                not_before=not_before or self.now,
                created_at=self.now,
            ),
        )
