"""The outbox's group commits: messages sent while a commit runs are recorded together, a
record that cannot be written does not leave its message pending to be sent again, and a
poll's record counts the votes that arrived before it."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_sender
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Services
from bot.i18n import Translations
from bot.outbox import sender
from bot.outbox.sender import _Recorder, _Snapshot
from bot.services import checkin
from bot.services.context import ServiceContext
from db.engine import Database
from db.models import (
    Checkin,
    CheckinPoll,
    CheckinState,
    CheckinVote,
    LiaisonMessage,
    LiaisonRequest,
    Outbox,
    OutboxState,
    RequestState,
)
from db.repositories import Repos
from tests.factories import add_party, add_person


async def _pending(
    database: Database, now: dt.datetime, messages: list[tuple[int, str, str]]
) -> tuple[LiaisonRequest, list[Outbox]]:
    """A liaison request and pending outbox rows, (chat, text, purpose) each; the liaison
    ones belong to the request."""
    async with database.transaction() as repos:
        party = await add_party(repos, "u")
        asker = await add_person(repos, 500, "Asker")
        request = await repos.requests.add(
            LiaisonRequest(
                party_id=party.id,
                asker_id=asker.id,
                chat_id=500,
                question_message_id=1,
                question="?",
                state=RequestState.OPEN,
                opened_at=now,
            )
        )
        rows = [
            Outbox(
                chat_id=chat,
                text=text,
                purpose=purpose,
                request_id=request.id if purpose.startswith("liaison") else None,
                state=OutboxState.PENDING,
                not_before=now,
                created_at=now,
            )
            for chat, text, purpose in messages
        ]
        repos.session.add_all(rows)
    return request, rows


async def _stored(repos: Repos, rows: list[Outbox]) -> dict[int, Outbox]:
    """These outbox rows as stored now (those still there), by id."""
    found = await repos.session.scalars(select(Outbox).where(Outbox.id.in_([r.id for r in rows])))
    return {row.id: row for row in found}


async def test_sent_messages_are_recorded_together_and_a_bad_record_alone(
    database: Database,
    translations: Translations,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = clock.now()
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]
    services = Services(settings, database, translations, clock, build_sender())
    _, rows = await _pending(
        database,
        now,
        [
            (600, "first", "liaison.deliver"),
            (600, "second", "liaison.follow_up"),
            (700, "third", "checkin.reminder"),
        ],
    )
    snapshots = [_Snapshot(row) for row in rows]

    recorder = _Recorder()
    caplog.set_level(logging.WARNING, logger="bot.outbox.sender")
    # The first is recorded alone; the other two wait for its commit and go together. The
    # second carries the first's message id, so remembering it for replies breaks the key:
    # that pair is then recorded one by one, and the second is still marked sent.
    await asyncio.gather(
        recorder.record(services, snapshots[0], 41),
        recorder.record(services, snapshots[1], 41),
        recorder.record(services, snapshots[2], 42),
    )

    async with database.transaction() as repos:
        stored = await _stored(repos, rows)
        remembered = (await repos.session.scalars(select(LiaisonMessage))).all()
    assert [(stored[r.id].state, stored[r.id].message_id) for r in rows] == [
        (OutboxState.SENT, 41),
        (OutboxState.SENT, 41),
        (OutboxState.SENT, 42),
    ]
    assert all(stored[r.id].attempts == 1 and stored[r.id].sent_at == now for r in rows)
    assert [(m.chat_id, m.message_id, m.role) for m in remembered] == [(600, 41, "contact")]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings[0] == "recording 2 sent messages together failed"
    assert warnings[1].startswith(f"recording sent outbox {rows[1].id} failed")


async def test_a_vote_before_its_poll_is_recorded_counts_once_the_poll_is(
    database: Database, translations: Translations, clock: ManualClock
) -> None:
    """Telegram can deliver a vote before the bot has recorded the poll it just sent: the
    vote is kept, and the group commit that records the poll's id counts it."""
    now = clock.now()
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]
    services = Services(settings, database, translations, clock, build_sender())
    async with database.transaction() as repos:
        checkin_row = Checkin(state=CheckinState.OPEN, opened_at=now, closes_at=now)
        row = Outbox(
            chat_id=-1001,
            kind="poll",
            poll={"question": "Attending?", "options": ["yes", "no"]},
            purpose="checkin.poll",
            state=OutboxState.PENDING,
            not_before=now,
            created_at=now,
        )
        repos.session.add_all([checkin_row, row])
        await repos.session.flush()
        repos.session.add(CheckinPoll(checkin_id=checkin_row.id, chat_id=-1001, outbox_id=row.id))
        snapshot = _Snapshot(row)
    async with database.transaction() as repos:
        ctx = ServiceContext(repos, now, "UTC")
        assert not await checkin.record_answer(ctx, "P9", 2001, "Chen Jie", [1])  # kept

    snapshot.poll_id = "P9"  # what sendPoll answered
    await _Recorder().record(services, snapshot, 77)

    async with database.transaction() as repos:
        poll = (await repos.checkins.polls_by_outbox([row.id]))[row.id]
        votes = (await repos.session.scalars(select(CheckinVote))).all()
        assert await repos.checkins.take_early_answers(["P9"]) == []
    assert (poll.poll_id, poll.message_id) == ("P9", 77)
    assert [(v.poll_id, v.telegram_user_id, v.name, v.option_ids) for v in votes] == [
        (poll.id, 2001, "Chen Jie", [1])
    ]


async def test_a_message_whose_row_was_erased_meanwhile_is_not_recorded(
    database: Database, translations: Translations, clock: ManualClock
) -> None:
    """A person erased while their message was on its way: the others sent with it are
    recorded, and nothing is remembered for the erased one's request."""
    now = clock.now()
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]
    services = Services(settings, database, translations, clock, build_sender())
    request, rows = await _pending(
        database, now, [(600, "question", "liaison.deliver"), (700, "question", "liaison.deliver")]
    )
    snapshots = [_Snapshot(row) for row in rows]
    async with database.transaction() as repos:
        await repos.session.delete(await repos.outbox.get(rows[0].id))

    recorder = _Recorder()
    await asyncio.gather(
        recorder.record(services, snapshots[0], 51), recorder.record(services, snapshots[1], 52)
    )

    async with database.transaction() as repos:
        stored = await _stored(repos, rows)
        remembered = (await repos.session.scalars(select(LiaisonMessage))).all()
    assert list(stored) == [rows[1].id]
    assert (stored[rows[1].id].state, stored[rows[1].id].message_id) == (OutboxState.SENT, 52)
    assert [(m.chat_id, m.message_id, m.request_id) for m in remembered] == [(700, 52, request.id)]


def test_the_sender_imports_no_feature() -> None:
    """Features register what follows their messages (`bot.app.build_sender`): the sender
    imports none of them, only the wiring's types, the Bot API's text limits, the rate
    limiter's send guard (`bot.leadership`) and the db."""
    tree = ast.parse(Path(sender.__file__).read_text(encoding="utf-8"))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
    }
    ours = {name for name in imported if name.split(".")[0] in {"bot", "handlers", "jobs"}}
    assert ours <= {
        "bot.context",
        "bot.domain.telegram_text",
        "bot.outbox.writer",
        "bot.telegram.ratelimit",
    }
