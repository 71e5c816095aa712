"""The outbox's fencing (`bot.outbox.sender._lease_lost`): what Telegram answers to a send is
recorded only under the epoch the message was read under. A leader paused past its lease
(SIGSTOP, a long pause) whose sends went out before its deadline, and whose answers come back
once another replica has taken the lease, records none of them: a 5xx does not put the row
off, a 403 neither marks the person unreachable nor the group lost (nor tells the
coordinators), an upgraded group is not moved, a 400 neither gives the row up nor tells the
asker. The new leader owns those rows.

The same round answered while this replica still holds the lease (any backend; on SQLite it
always does) records all of it: the check that the answers do reach the bookkeeping."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select, text
from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.app import build_sender
from bot.clock import ManualClock
from bot.config import Settings, opt_in_library_defaults
from bot.context import SERVICES_KEY, Services
from bot.fake_telegram import FakeTelegram
from bot.i18n import Translations
from bot.leadership import Leadership
from db.engine import Database
from db.models import (
    Chat,
    LiaisonRequest,
    Outbox,
    OutboxState,
    Person,
    RequestEvent,
    RequestState,
    Role,
)
from tests.factories import add_membership, add_party, add_person

PUT_OFF = -4001  # answers 502
KICKED = -4002  # the bot was kicked: 403
UPGRADED = -4003  # a basic group upgraded to a supergroup: 400 with migrate_to_chat_id
REFUSED = -4004  # answers 400, message too long
POLL_CLOSED = -4005  # stopPoll on a poll already closed: 400
COORDINATOR, CONTACT, ASKER = 1001, 1002, 2001  # the contact never pressed Start: 403


class AnswersAfter(HTTPXRequest):
    """Telegram takes every message at once, but its answer reaches the bot only after
    `meanwhile` has run (once, whichever answer comes first): what happens to the replica
    while its sends are on their way."""

    def __init__(self, meanwhile: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._meanwhile = meanwhile
        self._done: asyncio.Future[None] | None = None

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = await super().do_request(url, *args, **kwargs)
        if not url.endswith("/getMe"):
            if self._done is None:
                self._done = asyncio.ensure_future(self._meanwhile())
            await asyncio.shield(self._done)
        return answer


class Monotonic:
    """The old leader's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _world(tg: FakeTelegram, database: Database, now: dt.datetime) -> None:
    """A coordinator, a contact who never pressed Start, a question; five groups the bot
    is in, one of them kicked it out and one was upgraded; one message due in each chat
    (two in the groups whose later messages a 5xx holds or an upgrade moves)."""
    for chat_id in (PUT_OFF, KICKED, UPGRADED, REFUSED, POLL_CLOSED):
        tg.group(chat_id, f"Group {chat_id}", kind="group").chat.bot_member = True
    tg.user(CONTACT, "Zhang Min")
    tg.group(KICKED, "").chat.bot_kicked = True
    tg.group(UPGRADED, "").upgrade(by=tg.user(COORDINATOR, "Li Wei"))
    tg.fail("sendMessage", status=502, chat_id=PUT_OFF)
    tg.fail(
        "sendMessage", status=400, description="Bad Request: message is too long", chat_id=REFUSED
    )
    tg.fail("stopPoll", status=400, description="Bad Request: poll has already been closed")
    async with database.transaction() as repos:
        party = await add_party(repos, "nbu")
        li = await add_person(repos, COORDINATOR, "Li Wei", can_message=True)
        await add_membership(repos, li, party, Role.COORDINATOR)
        zhang = await add_person(repos, CONTACT, "Zhang Min", can_message=True)
        chen = await add_person(repos, ASKER, "Chen Jie", can_message=True)
        for chat_id in (PUT_OFF, KICKED, UPGRADED, REFUSED, POLL_CLOSED):
            chat = Chat(telegram_id=chat_id, title=f"Group {chat_id}", type="group")
            chat.linked, chat.active = True, True
            await repos.chats.add(chat)
        request = await repos.requests.add(
            LiaisonRequest(
                party_id=party.id,
                asker_id=chen.id,
                chat_id=REFUSED,
                question_message_id=1,
                question="When is the mid-term report due?",
                state=RequestState.OPEN,
                opened_at=now,
            )
        )
        due: list[dict[str, Any]] = [
            {"chat_id": PUT_OFF, "purpose": "checkin.agenda"},
            {"chat_id": PUT_OFF, "purpose": "checkin.summary"},
            {"chat_id": CONTACT, "purpose": "liaison.deliver", "person_id": zhang.id},
            {"chat_id": KICKED, "purpose": "checkin.reminder_group"},
            {"chat_id": UPGRADED, "purpose": "checkin.agenda"},
            {"chat_id": UPGRADED, "purpose": "checkin.summary"},
            {"chat_id": REFUSED, "purpose": "liaison.deliver"},
            {"chat_id": POLL_CLOSED, "purpose": "checkin.stop", "kind": "stop_poll"},
        ]
        for i, fields in enumerate(due):
            kind = fields.pop("kind", "text")
            request_id = request.id if fields["purpose"].startswith("liaison") else None
            await repos.outbox.add(
                Outbox(
                    **fields,
                    text=f"message {i}" if kind == "text" else None,
                    kind=kind,
                    reply_to_message_id=7 if kind == "stop_poll" else None,
                    request_id=request_id,
                    state=OutboxState.PENDING,
                    not_before=now,
                    created_at=now,
                )
            )


async def _stored(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """What the bookkeeping may touch: the outbox, people, chats, the request's history."""
    async with database.transaction() as repos:
        rows = await repos.session.scalars(select(Outbox).order_by(Outbox.id))
        people = await repos.session.scalars(select(Person).order_by(Person.telegram_id))
        chats = await repos.session.scalars(select(Chat).order_by(Chat.id))
        events = await repos.session.scalars(select(RequestEvent).order_by(RequestEvent.id))
        return {
            "outbox": [
                (r.chat_id, r.purpose, r.state, r.attempts, r.error, r.not_before) for r in rows
            ],
            "people": [(p.telegram_id, p.can_message) for p in people],
            "chats": [(c.telegram_id, c.type, c.active) for c in chats],
            "events": [(e.kind,) for e in events],
        }


async def _one_round(
    settings: Settings,
    database: Database,
    translations: Translations,
    clock: ManualClock,
    leadership: Leadership,
    meanwhile: Callable[[], Awaitable[None]],
) -> None:
    """One drain of the outbox by `leadership`'s replica, `meanwhile` running while its
    sends are on their way."""
    opt_in_library_defaults()
    services = Services(
        settings, database, translations, clock, build_sender(), leadership=leadership
    )
    tg_bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{settings.telegram_api_base_url}/bot",
        request=AnswersAfter(meanwhile),
    )
    application = Application.builder().bot(tg_bot).updater(None).build()
    application.bot_data[SERVICES_KEY] = services
    async with tg_bot:
        await services.sender.drain(application)


async def test_answers_that_come_after_the_lease_was_taken_are_not_recorded(
    tg: FakeTelegram,
    database: Database,
    settings: Settings,
    translations: Translations,
    clock: ManualClock,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("one replica alone on SQLite: never fenced")
    mono = Monotonic()
    old, new = Leadership(database, monotonic=mono), Leadership(database)
    await old.start()
    await new.start()
    assert (old.epoch, new.epoch) == (1, None)
    await _world(tg, database, clock.now())
    before = await _stored(database)

    async def paused_past_its_lease() -> None:
        """Every send went out; the old leader is paused past its deadline, its lease runs
        out by the database's clock and the standby takes it (epoch 2). Then the answers
        come."""
        mono.now += 60.0
        async with database.transaction() as repos:
            await repos.session.execute(text("UPDATE leader_lease SET expires_at = now()"))
        await new._round()

    await _one_round(settings, database, translations, clock, old, paused_past_its_lease)

    assert new.epoch == 2 and old.epoch == 1  # the old one has not heard yet
    assert {m for m, _ in tg.calls} >= {"sendMessage", "stopPoll"}
    sent_to = {int(p["chat_id"]) for m, p in tg.calls if m in ("sendMessage", "stopPoll")}
    assert sent_to == {PUT_OFF, CONTACT, KICKED, UPGRADED, REFUSED, POLL_CLOSED}
    after = await _stored(database)
    assert [part for part in before if after[part] != before[part]] == []  # the new leader's
    fenced = [r.getMessage() for r in caplog.records if "the lease was lost" in r.getMessage()]
    assert len(fenced) == 6, fenced  # one line per answer


async def test_answers_that_come_while_the_lease_is_held_are_recorded(
    tg: FakeTelegram,
    database: Database,
    settings: Settings,
    translations: Translations,
    clock: ManualClock,
    db_url: str,
) -> None:
    shared = db_url.startswith("postgresql")
    leadership = Leadership(database, lease_seconds=10) if shared else Leadership()
    await leadership.start()
    await _world(tg, database, clock.now())
    now = clock.now()

    async def stopping() -> None:
        """A clean stop: nothing new goes, what is on its way is recorded."""
        leadership.resign()

    await _one_round(settings, database, translations, clock, leadership, stopping)

    stored = await _stored(database)
    new_id = tg.group(UPGRADED, "").chat.migrated_to
    later = now + dt.timedelta(seconds=2)  # the 5xx's first back-off holds the chat
    failed, pending, sent = OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENT
    assert stored["outbox"][:8] == [
        (PUT_OFF, "checkin.agenda", pending, 1, "Bad Gateway", later),
        (PUT_OFF, "checkin.summary", pending, 0, None, later),
        (CONTACT, "liaison.deliver", failed, 1, stored["outbox"][2][4], now),
        (KICKED, "checkin.reminder_group", failed, 1, stored["outbox"][3][4], now),
        (new_id, "checkin.agenda", pending, 0, None, now),
        (new_id, "checkin.summary", pending, 0, None, now),
        (REFUSED, "liaison.deliver", failed, 1, "Message is too long", now),
        (POLL_CLOSED, "checkin.stop", sent, 1, "Poll has already been closed", now),
    ]
    told = {(chat_id, purpose) for chat_id, purpose, *_ in stored["outbox"][8:]}
    assert told == {
        (COORDINATOR, "group.lost"),
        (COORDINATOR, "liaison.must_start"),
        (ASKER, "liaison.refused"),
    }
    assert stored["people"] == [(COORDINATOR, True), (CONTACT, False), (ASKER, True)]
    assert stored["chats"] == [
        (PUT_OFF, "group", True),
        (KICKED, "group", False),
        (new_id, "supergroup", True),
        (REFUSED, "group", True),
        (POLL_CLOSED, "group", True),
    ]
    assert sorted(stored["events"]) == [("delivery_failed",), ("delivery_refused",)]
