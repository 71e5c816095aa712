"""`python -m bot` settles its heap once started: the start-up objects frozen out of the
collector's generations, a larger young generation."""

from __future__ import annotations

import subprocess
import sys


def test_settle_heap_freezes_what_exists_and_widens_the_young_generation() -> None:
    code = (
        "import gc; from bot.runner import settle_heap; "
        "before = gc.get_freeze_count(); settle_heap(); "
        "print(before, gc.get_freeze_count() > 10_000, gc.get_threshold())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=2)
    assert out[0] == "0" and out[1] == "True"  # the imported modules' objects, frozen
    assert out[2].strip() == "(10000, 10, 10)"
