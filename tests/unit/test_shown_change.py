"""The change shown by /progress and /cohort adds up from the figures shown."""

from __future__ import annotations

import math
from decimal import Decimal

from bot.domain.capability import shown_change


def test_the_change_is_worked_out_from_the_rounded_levels() -> None:
    change = shown_change(64.77, 71.63)  # unrounded: +6.86 points, +10.59%
    assert change is not None
    assert (change.baseline, change.current) == (Decimal("64.8"), Decimal("71.6"))
    assert change.points == Decimal("6.8") == change.current - change.baseline
    assert change.percent == Decimal("10.5")  # 6.8 / 64.8


def test_halves_round_up_as_people_round() -> None:
    change = shown_change(57.25, 70.05)
    assert change is not None and (change.baseline, change.current) == (
        Decimal("57.3"),
        Decimal("70.1"),
    )


def test_no_percent_of_a_zero_baseline_and_nothing_without_levels() -> None:
    change = shown_change(0.0, 12.0)
    assert change is not None and change.percent is None and change.points == 12
    assert shown_change(math.nan, 12.0) is None
