"""Writing messages that must arrive: each recipient's language, and one outbox row per
message in the caller's transaction (the dispatcher sends them after commit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.context import Services
from bot.domain.language import resolve_language
from bot.i18n import Translator
from bot.renderers import Rendered
from db.models import Chat, Outbox, OutboxState, Person
from db.repositories import Repos


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
        keyboard: InlineKeyboardMarkup | None = None,
        file: tuple[str, str] | None = None,
    ) -> int:
        """One message (its outbox id); `thread` is a forum topic of the chat (None: General),
        `file` is (kind, file_id) of a photo or document to send again."""
        markup: dict[str, Any] | None = keyboard.to_dict() if keyboard else None
        return await self.repos.outbox.add(
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
                person_id=person.id if person else None,
                state=OutboxState.PENDING,
                attempts=0,
                not_before=self.now,
                created_at=self.now,
            )
        )
