"""End to end on PostgreSQL, the chaos run's CI variant (`benchmarks/chaos.py` plays the
whole month with at least 20 kills): a few days of the scripted month on a fast clock, with
either of two webhook replicas killed (SIGKILL) and restarted at seeded random points, end
with every chat as in the run with one replica that never died, apart from the counted
at-least-once duplicates."""

from __future__ import annotations

import pytest

from benchmarks.chaos import compare, month
from tests.conftest import POSTGRES_URL

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set"),
]


async def test_replicas_killed_at_random_leave_the_chats_as_one_that_never_died(
    postgres_ready: bool,
) -> None:
    calm = await month(POSTGRES_URL, days=3, replicas=1, kills=0, seed=27)
    chaotic = await month(POSTGRES_URL, days=3, replicas=2, kills=6, seed=27)
    verdict = compare(calm, chaotic)
    assert chaotic.kills == 6
    assert len(chaotic.by_replica) == 2  # both replicas took updates
    assert sum(len(texts) for texts in calm.chats.values()) > 20
    assert verdict.lost == [] and verdict.extra == [] and verdict.reordered == [], verdict
    # At-least-once: a message reaches a chat twice only when a leader died between
    # Telegram taking it and recording it; a handful per kill at most.
    assert verdict.duplicates <= 8 * chaotic.kills, verdict
