"""The hourly pace sweep keeps its warnings true, because the check-in's agenda lists the
warned gaps as they are recorded: a gap filled by a training day added since is withdrawn
(and gone from the agenda), one that shrank gets its new end, and a gap that moved is a new
gap, warned anew."""

from __future__ import annotations

import datetime as dt

from bot.services import checkin, pace
from bot.services.context import ServiceContext
from db.models import PartyKind, Role, TrainingRecord
from db.repositories import Repos
from tests.factories import add_membership, add_party, add_person

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
