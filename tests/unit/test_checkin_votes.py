"""A check-in vote in one statement (`record_open_vote`), and what it leaves to
`record_answer`: a poll not recorded yet, a check-in not open, a withdrawn vote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.services import checkin
from bot.services.context import ServiceContext
from db.engine import Database
from db.models import Checkin, CheckinPoll, CheckinState, CheckinVote, Person
from db.repositories import Repos

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


async def _poll(database: Database, state: CheckinState = CheckinState.OPEN) -> int:
    """A check-in with one recorded poll ("P1") and a person the bot knows (Telegram 2001)."""
    async with database.transaction() as repos:
        row = Checkin(state=state, opened_at=NOW, closes_at=NOW + dt.timedelta(days=3))
        person = Person(telegram_id=2001, name="Chen Jie")
        repos.session.add_all([row, person])
        await repos.session.flush()
        poll = CheckinPoll(checkin_id=row.id, chat_id=-1001, message_id=5, poll_id="P1")
        repos.session.add(poll)
        await repos.session.flush()
        return poll.id


async def _votes(database: Database) -> list[tuple[int, int, int | None, str, list[int]]]:
    async with database.transaction() as repos:
        votes = (await repos.session.scalars(select(CheckinVote))).all()
        return [(v.poll_id, v.telegram_user_id, v.person_id, v.name, v.option_ids) for v in votes]


def _vote(
    poll_id: str, user: int, name: str, options: list[int]
) -> Callable[[Repos], Awaitable[bool]]:
    async def work(repos: Repos) -> bool:
        ctx = ServiceContext(repos, NOW, "UTC")
        return await checkin.record_open_vote(ctx, poll_id, user, name, options)

    return work


async def test_a_vote_and_a_changed_one_in_an_open_checkin(database: Database) -> None:
    poll = await _poll(database)
    assert await database.run_single_statement(_vote("P1", 2001, "Chen Jie", [2, 0, 2]))
    assert await database.run_single_statement(_vote("P1", 9999, "Visitor", [3]))
    assert sorted(await _votes(database)) == [
        (poll, 2001, await _person(database, 2001), "Chen Jie", [0, 2]),  # linked, each once
        (poll, 9999, None, "Visitor", [3]),  # someone the bot does not know
    ]
    # changed: the options and the time, the person and name kept
    assert await database.run_single_statement(_vote("P1", 2001, "Chen J.", [1]))
    assert sorted(await _votes(database))[0][2:] == (await _person(database, 2001), "Chen Jie", [1])


async def _person(database: Database, telegram_id: int) -> int:
    async with database.transaction() as repos:
        person = await repos.people.by_telegram_id(telegram_id)
        assert person is not None
        return person.id


async def test_nothing_is_written_for_a_closed_checkin(database: Database) -> None:
    await _poll(database, CheckinState.CLOSED)
    assert not await database.run_single_statement(_vote("P1", 2001, "Chen Jie", [0]))
    assert await _votes(database) == []


async def test_the_rest_is_left_to_record_answer(database: Database) -> None:
    """A poll not recorded yet and a withdrawn vote: nothing written in one statement; the
    whole way keeps the first and withdraws the second."""
    poll = await _poll(database)
    assert not await database.run_single_statement(_vote("P2", 2001, "Chen Jie", [0]))
    assert await database.run_single_statement(_vote("P1", 2001, "Chen Jie", [0]))
    assert not await database.run_single_statement(_vote("P1", 2001, "Chen Jie", []))
    assert not await database.run_single_statement(_vote("P1", 2001, "Chen Jie", [7]))
    assert [v[0] for v in await _votes(database)] == [poll]  # the vote still stands

    async def whole_way(repos: Repos) -> None:
        ctx = ServiceContext(repos, NOW, "UTC")
        assert not await checkin.record_answer(ctx, "P2", 2001, "Chen Jie", [0])  # kept
        assert await checkin.record_answer(ctx, "P1", 2001, "Chen Jie", [])  # withdrawn

    await database.run(whole_way)
    assert await _votes(database) == []
    async with database.transaction() as repos:
        assert [a.poll_id for a in await repos.checkins.take_early_answers(["P2"])] == ["P2"]


async def test_a_single_statement_is_committed_on_its_own(database: Database) -> None:
    """On PostgreSQL the statement is sent without BEGIN: another connection sees the vote
    before the work has returned. (SQLite runs it as any other transaction.)"""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL sends single statements without a transaction")
    await _poll(database)
    other = create_async_engine(database.engine.url)
    seen: list[int] = []

    async def vote_and_look(repos: Repos) -> bool:
        written = await _vote("P1", 2001, "Chen Jie", [0])(repos)
        async with other.connect() as connection:
            seen.append(int(await connection.scalar(text("SELECT count(*) FROM checkin_vote"))))
        return written

    try:
        assert await database.run_single_statement(vote_and_look)
    finally:
        await other.dispose()
    assert seen == [1]


async def test_a_vote_kept_while_its_poll_was_recorded_is_swept_in(database: Database) -> None:
    """On PostgreSQL a vote can arrive while its poll's id is being recorded: the vote does
    not see the id and is kept as early, the recording does not see the kept vote. The
    scheduler's sweep counts it; a vote changed since is not undone by the older one."""
    poll = await _poll(database)
    async with database.transaction() as repos:
        kept = repos.checkins.keep_early_answer
        await kept("P1", 2001, "Chen Jie", [1], NOW - dt.timedelta(minutes=2))
        await kept("P1", 9999, "Visitor", [0], NOW - dt.timedelta(minutes=2))
        await repos.checkins.put_vote(poll, 9999, "Visitor", [3], NOW - dt.timedelta(minutes=1))
    async with database.transaction() as repos:
        swept = await checkin.count_stray_early_answers(ServiceContext(repos, NOW, "UTC"))
    assert swept == 2
    votes = {user: options for _, user, _, _, options in await _votes(database)}
    assert votes == {2001: [1], 9999: [3]}  # the visitor's newer vote stands
    async with database.transaction() as repos:
        assert await repos.checkins.polls_with_early_answers() == []
