"""End to end on PostgreSQL, the chaos run (`benchmarks/chaos.py`): the whole scripted month
on a fast clock, with either of two webhook replicas killed (SIGKILL) and restarted 24 times
at seeded random points of it, ends with every chat as in the month on one replica that
never died (played at the same time, in the test database's namesake with a `b`), apart
from the counted at-least-once duplicates."""

from __future__ import annotations

import pytest

from benchmarks.chaos import compare, discard_logs, months
from tests.conftest import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
]
DAYS, KILLS = 28, 24


async def test_replicas_killed_at_random_leave_the_chats_as_one_that_never_died(
    postgres_ready: bool,
) -> None:
    calm, chaotic = await months(POSTGRES_URL, days=DAYS, kills=KILLS, seed=27)
    verdict = compare(calm, chaotic)
    assert chaotic.kills == KILLS  # all within the month (`Killer`)
    assert len(chaotic.by_replica) == 2  # both replicas took updates
    assert sum(len(texts) for texts in calm.chats.values()) > 5 * DAYS
    assert verdict.lost == [] and verdict.extra == [] and verdict.reordered == [], verdict
    # At-least-once: a message reaches a chat twice only when a leader died between
    # Telegram taking it and recording it; a handful per kill at most.
    assert verdict.duplicates <= 8 * chaotic.kills, verdict
    discard_logs(calm, chaotic)  # kept (in /tmp/chaos-logs-*) when an assertion failed
