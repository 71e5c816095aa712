"""The hourly pace sweep keeps its warnings true, because the check-in's agenda lists the
warned gaps as they are recorded: a gap filled by a training day added since is withdrawn
(and gone from the agenda), one that shrank gets its new end, and a gap that moved is a new
gap, warned anew."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_sender
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Services
from bot.domain.courses import PaceSpec
from bot.i18n import Translations
from bot.services import checkin, pace
from bot.services.consortium_io import import_file
from bot.services.context import ServiceContext
from db.engine import Database
from db.models import Outbox, PartyKind, Role, TrainingRecord
from db.repositories import Repos
from jobs import scheduler
from tests.conftest import SAMPLE_FILE, START
from tests.factories import add_membership, add_party, add_person, consortium_with_courses

NOW = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)  # a Monday
D = dt.date


async def _trained(repos: Repos, student_id: int, party_id: int, *days: dt.date) -> None:
    for day in days:
        await repos.training.add(
            TrainingRecord(
                student_id=student_id, party_id=party_id, day=day, minutes=60, recorded_at=NOW
            )
        )


def _warned(found: list[pace.GapWarning]) -> list[tuple[dt.date, dt.date]]:
    return [(w.gap.start, w.gap.end) for w in found]


async def _agenda(ctx: ServiceContext) -> list[tuple[int, dt.date, dt.date]]:
    return [
        (person.telegram_id, w.gap_start, w.gap_end) for w, person in await checkin.agenda_gaps(ctx)
    ]


async def test_a_warning_follows_its_gap_and_is_withdrawn_once_filled(repos: Repos) -> None:
    firm = await add_party(repos, "firm", PartyKind.ENTERPRISE)
    zhao = await add_person(repos, 2002, "Zhao Lei")
    await add_membership(repos, zhao, firm, Role.STUDENT)
    # Training on 2 Nov and 28 Dec: the seven weeks from 9 Nov are a gap, within 21 days.
    await _trained(repos, zhao.id, firm.id, D(2026, 11, 2), D(2026, 12, 28))
    ctx = ServiceContext(repos, NOW, "UTC")
    assert _warned(await pace.sweep(ctx)) == [(D(2026, 11, 9), D(2026, 12, 27))]
    assert await _agenda(ctx) == [(2002, D(2026, 11, 9), D(2026, 12, 27))]
    assert await pace.sweep(ctx) == []  # warned once

    # A day on 21 Dec: the same gap, two weeks shorter at its end; nobody is warned again.
    await _trained(repos, zhao.id, firm.id, D(2026, 12, 21))
    assert await pace.sweep(ctx) == []
    assert await _agenda(ctx) == [(2002, D(2026, 11, 9), D(2026, 12, 20))]

    # A day on 9 Nov: that gap is gone; the one from 16 Nov is new, and warned.
    await _trained(repos, zhao.id, firm.id, D(2026, 11, 9))
    assert _warned(await pace.sweep(ctx)) == [(D(2026, 11, 16), D(2026, 12, 20))]
    assert await _agenda(ctx) == [(2002, D(2026, 11, 16), D(2026, 12, 20))]

    # Every week filled: the warning is withdrawn and the agenda has no gap to discuss.
    weeks = [D(2026, 11, 16) + dt.timedelta(weeks=n) for n in range(5)]
    await _trained(repos, zhao.id, firm.id, *weeks)
    assert await pace.sweep(ctx) == []
    assert await _agenda(ctx) == []
    assert list(await repos.courses.warned_gaps(zhao.id)) == []


async def test_the_sweep_judges_a_file_imported_meanwhile_by_its_own_rules(
    db_url: str, database: Database, translations: Translations, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's sweep reads the rules, then every programme. A consortium file whose
    import commits between the two must not have its students judged by the rules of before
    it (the sample file has no `pace`: 21 days ahead, where the new file says 7): on
    PostgreSQL the sweep reads one snapshot. Otherwise Zhao's gap from 16 Nov was warned on
    2 Nov, to a coordinator who had not pressed Start yet (refused, and never warned again)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's transactions take turns: the import cannot commit in between")
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=START)
    real_rules = pace.rules
    imported: list[str] = []

    async def rules_then_the_import(repos: Repos) -> PaceSpec:
        found = await real_rules(repos)
        if not imported:  # the sweep has read the rules: the new file commits now
            imported.append(
                (await import_file(settings, consortium_with_courses(), START)).summary()
            )
        return found

    monkeypatch.setattr(pace, "rules", rules_then_the_import)
    services = Services(settings, database, translations, ManualClock(START), build_sender())
    context: Any = SimpleNamespace(services=services, application=SimpleNamespace(bot_data={}))

    await scheduler._pace(context, START)
    assert imported and "2 courses" in imported[0]
    async with database.transaction() as repos:
        assert list(await repos.courses.warned_gaps()) == []
        assert list(await repos.session.scalars(select(Outbox))) == []

    # A week before the gap (the new file's 7 days), the coordinator hears of it.
    await scheduler._pace(context, dt.datetime(2026, 11, 9, 8, 0, tzinfo=dt.UTC))
    async with database.transaction() as repos:
        assert [w.gap_start for w in await repos.courses.warned_gaps()] == [D(2026, 11, 16)]
        rows = list(await repos.session.scalars(select(Outbox)))
    assert [(r.chat_id, "/plan 2002" in (r.text or "")) for r in rows] == [(1001, True)]
