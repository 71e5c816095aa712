"""The update path's benchmark harness (`benchmarks.updates`, also the memory case's) delivers
what it is given on both databases. On PostgreSQL only the replica holding the lease sends
(`bot.leadership`): a harness that built the application without the lease never emptied its
outbox, and `python -m benchmarks.run` stopped in its first case after ten minutes."""

from __future__ import annotations

import signal

from benchmarks import updates
from benchmarks.run import _start_fake


async def test_the_update_path_harness_delivers_every_message(db_url: str) -> None:
    raw = list(updates.updates(30))
    process, base_url, _stats, token = await _start_fake(0, limits=False, users=updates.USERS)
    try:
        # Raises if an update is not handled or the outbox does not empty within 60 s, and
        # checks that every /ask opened its request and every vote counted.
        run = await updates.ours("ours", base_url, token, db_url, raw, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert run.updates == 30
