"""docs/architecture.md walks `/checkin`, `/ask` and `/report` through the files the bot
really passes: the tracer of `benchmarks.command_files` runs the three commands, and each
walk must name exactly the feature files it found, in the order they were first entered
(at most 7), and the shared section every file it counts as shared.

The tracer runs its own bot on SQLite; the files a command passes do not depend on the
database, so there is no PostgreSQL variant.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.command_files import PROBE, RUNTIME, TARGET, measure, split

ROOT = Path(__file__).resolve().parents[2]
WALK = re.compile(r"^\d+\. `([^`]+)`", re.M)


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]


async def test_the_architecture_page_walks_each_command_through_the_files_it_passes() -> None:
    found = await measure()
    shared, own = split(found)
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

    assert set(own) == {"/checkin", "/ask", "/report"} and PROBE in found
    for command, files in own.items():
        walk = WALK.findall(_section(page, f"`{command}`"))
        assert walk == files, command
        assert len(files) <= TARGET, command
    plumbing = _section(page, "What every command passes")
    named = set(re.findall(r"`([\w/]+\.py)`", plumbing))
    unnamed = [f for f in shared if f not in named and not f.startswith(RUNTIME)]
    assert not unnamed, f"shared but not on the page: {unnamed}"
