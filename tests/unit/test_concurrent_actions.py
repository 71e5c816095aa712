"""Races decided by the database, on SQLite and on PostgreSQL: two people act on the same
thing at the same moment; the first one's transaction is held open while the second starts,
the second must wait for it, and each gets a clear outcome.

- two coordinators open a check-in at once: one opens it, the other is told it is open;
- two contacts acknowledge one request at once: one acknowledges, the other is told it was;
- two mentors score one report at once: both scores count, and the second sees the first's
  (so a wide disagreement is never missed by both);
- one mentor's Save arrives twice (a double tap, two devices): it is saved once;
- a student corrects a report while a mentor enters the first score: whoever is first wins,
  and the other is told why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.config import Settings
from bot.services import checkin, liaison, reports
from bot.services.consortium_io import import_file
from bot.services.context import ServiceContext
from bot.services.scoring import WEEKLY, restart, set_score
from db.engine import Database
from db.models import (
    Assessment,
    Chat,
    CheckinState,
    PartyKind,
    Person,
    ReportStatus,
    RequestState,
)
from db.repositories import Repos
from tests.conftest import SAMPLE_FILE
from tests.factories import submitted_report

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Ningbo: no quiet hours
W44 = dt.date(2026, 10, 26)
First = TypeVar("First")
Second = TypeVar("Second")


async def race(
    database: Database,
    first: Callable[[Repos], Awaitable[First]],
    second: Callable[[Repos], Awaitable[Second]],
) -> tuple[First, Second]:
    """Run `first` in a transaction held open, start `second` in its own, check that the
    second waits for the first, then commit the first and return both outcomes."""

    async def in_transaction() -> Second:
        async with database.transaction() as repos:
            return await second(repos)

    async with database.session() as session:
        await session.begin()
        first_outcome = await first(Repos(session))
        racer = asyncio.create_task(in_transaction())
        await asyncio.sleep(0.3)
        assert not racer.done(), "the second transaction did not wait for the first"
        await session.commit()
    return first_outcome, await asyncio.wait_for(racer, 30)


async def _person(repos: Repos, telegram_id: int) -> Person:
    person = await repos.people.by_telegram_id(telegram_id)
    assert person is not None
    return person


async def _sample(db_url: str) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=NOW)


async def test_two_coordinators_open_a_checkin_at_once(database: Database) -> None:
    async with database.transaction() as repos:
        await repos.chats.add(
            Chat(telegram_id=-100, title="G", type="supergroup", linked=True, active=True)
        )

    async def open_one(repos: Repos) -> checkin.Opening:
        ctx = ServiceContext(repos, NOW, "UTC")
        return await checkin.open_checkin(ctx, None, None, dt.timedelta(hours=72))

    first, second = await race(database, open_one, open_one)
    assert (first.reason, second.reason) == ("opened", "already_open")
    async with database.transaction() as repos:
        current = await repos.checkins.open_one()
        assert current is not None and current.state is CheckinState.OPEN
        assert first.checkin is not None and current.id == first.checkin.id


async def test_two_contacts_acknowledge_one_request_at_once(
    db_url: str, database: Database
) -> None:
    await _sample(db_url)
    async with database.transaction() as repos:
        ctx = ServiceContext(repos, NOW, "UTC")
        nbu = await repos.parties.by_key("nbu")
        assert nbu is not None
        opened = await liaison.open_request(
            ctx,
            party=nbu,
            asker=await _person(repos, 2001),
            chat_id=2001,
            message_id=7,
            question="Can I extend my stay by a month?",
            urgent=False,
        )
        assert opened.reason == "delivered" and opened.request is not None
        request_id = opened.request.id

    def acknowledge_as(telegram_id: int) -> Callable[[Repos], Awaitable[liaison.Outcome]]:
        async def acknowledge(repos: Repos) -> liaison.Outcome:
            ctx = ServiceContext(repos, NOW + dt.timedelta(minutes=5), "UTC")
            return await liaison.acknowledge(ctx, request_id, await _person(repos, telegram_id))

        return acknowledge

    # Zhang Min is the contact on call; Li Wei, a coordinator, presses the same button.
    zhang, li = await race(database, acknowledge_as(1002), acknowledge_as(1001))
    assert (zhang.reason, li.reason) == ("acknowledged", "already")
    async with database.transaction() as repos:
        request = await repos.requests.get(request_id)
        assert request is not None and request.state is RequestState.ACKNOWLEDGED
        assert request.contact_id == (await _person(repos, 1002)).id
        events = [e.kind for e in await repos.requests.events(request_id)]
        assert events.count("acknowledged") == 1


async def _submitted_report_with_scores_entered(db_url: str, database: Database) -> int:
    """Chen's report for W44, submitted; the university's and the enterprise's mentors have
    entered their scores and comments and not yet pressed Save. The report's id."""
    await _sample(db_url)
    async with database.transaction() as repos:
        chen = await _person(repos, 2001)
        report = await repos.reports.add(submitted_report(chen.id, W44, NOW))
        for kind, mentor, score in (
            (PartyKind.UNIVERSITY, 1002, 40),
            (PartyKind.ENTERPRISE, 1101, 90),
        ):
            await repos.assessments.add(
                Assessment(
                    student_id=chen.id,
                    week=W44,
                    party_kind=kind,
                    report_id=report.id,
                    mentor_id=(await _person(repos, mentor)).id,
                    tech_rd=score,
                    cross_cultural=score,
                    rule_adaptation=score,
                    comment="",
                    source="bot",
                    requested_at=NOW,
                )
            )
        return report.id


def save_as(telegram_id: int, report_id: int) -> Callable[[Repos], Awaitable[tuple[str, int]]]:
    """A mentor presses Save: the outcome and how many other parties' saved scores they see."""

    async def save(repos: Repos) -> tuple[str, int]:
        ctx = ServiceContext(repos, NOW + dt.timedelta(hours=1), "UTC")
        mentor = await _person(repos, telegram_id)
        (assessment,) = [
            a for a in await repos.assessments.of_report(report_id) if a.mentor_id == mentor.id
        ]
        scoring = await WEEKLY.open_assessment(ctx, mentor, assessment.id)
        if scoring.reason != "ok":
            return scoring.reason, 0
        return "saved", len(await WEEKLY.complete(ctx, mentor, scoring))

    return save


async def test_two_mentors_score_one_report_at_once(db_url: str, database: Database) -> None:
    report_id = await _submitted_report_with_scores_entered(db_url, database)
    zhang, wang = await race(database, save_as(1002, report_id), save_as(1101, report_id))
    # Both count; the one who saved second compares with the first (40 against 90).
    assert zhang == ("saved", 0) and wang == ("saved", 1)
    async with database.transaction() as repos:
        saved = await repos.assessments.of_report(report_id)
        assert sorted(a.tech_rd for a in saved if a.completed_at is not None) == [40, 90]


async def test_one_mentor_saves_twice_at_once(db_url: str, database: Database) -> None:
    report_id = await _submitted_report_with_scores_entered(db_url, database)
    first, again = await race(database, save_as(1002, report_id), save_as(1002, report_id))
    assert first == ("saved", 0) and again == ("done", 0)
    async with database.transaction() as repos:
        completed = [a.completed_at for a in await repos.assessments.of_report(report_id)]
        assert completed.count(None) == 1  # Zhang's saved once; Wang's still open


async def test_a_correction_and_a_first_score_at_once(db_url: str, database: Database) -> None:
    report_id = await _submitted_report_with_scores_entered(db_url, database)
    async with database.transaction() as repos:  # nobody has entered a score yet
        for assessment in await repos.assessments.of_report(report_id):
            restart(assessment)

    async def correct(repos: Repos) -> str:
        ctx = ServiceContext(repos, NOW + dt.timedelta(hours=1), "UTC")
        return await reports.start_correction(ctx, await _person(repos, 2001), report_id)

    async def first_score(repos: Repos) -> str:
        ctx = ServiceContext(repos, NOW + dt.timedelta(hours=1), "UTC")
        mentor = await _person(repos, 1101)
        (assessment,) = [
            a for a in await repos.assessments.of_report(report_id) if a.mentor_id == mentor.id
        ]
        scoring = await WEEKLY.open_assessment(ctx, mentor, assessment.id)
        if scoring.reason == "ok" and scoring.assessment is not None:
            set_score(scoring.assessment, "tech_rd", 75)
        return scoring.reason

    # The mentor first: the score stands and the student is told the report is final.
    assert await race(database, first_score, correct) == ("ok", "scored")
    async with database.transaction() as repos:
        report = await repos.reports.get(report_id)
        assert report is not None and report.status is ReportStatus.SUBMITTED
        for assessment in await repos.assessments.of_report(report_id):
            restart(assessment)
    # The student first: the mentor is told a corrected version will come, and no score lands.
    assert await race(database, correct, first_score) == ("ok", "correcting")
    async with database.transaction() as repos:
        report = await repos.reports.get(report_id)
        assert report is not None and report.status is ReportStatus.DRAFT
        assert not await reports.has_scores(repos, report_id)
