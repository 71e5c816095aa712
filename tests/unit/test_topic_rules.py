"""Research topics, training credits and the digest's rules, checked against figures
worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from bot.domain.credits import CreditRules, research_credits, training_credits
from bot.domain.digest import Figures, Thresholds, below, median_minutes, previous_month
from bot.domain.reports import InputProblem
from bot.domain.topics import (
    TopicDraft,
    cycle,
    cycles_due,
    next_topic_step,
    parse_deadline,
    parse_team_size,
    participation,
    reportable_cycles,
)
from bot.services.digest import due_month

D = dt.date
SHANGHAI = "Asia/Shanghai"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_topic_is_written_step_by_step() -> None:
    draft = TopicDraft(None, None, None, None, None)
    assert next_topic_step(draft) == "title"
    assert next_topic_step(TopicDraft("T", "S", "K", None, None)) == "team_size"
    assert next_topic_step(TopicDraft("T", "S", "K", 3, D(2026, 12, 1))) == "confirm"
    assert parse_team_size(" 4 ") == 4
    for wrong in ("0", "21", "four", "-1", "2.5"):
        with pytest.raises(InputProblem):
            parse_team_size(wrong)
    today = D(2026, 11, 2)
    assert parse_deadline("2026-11-02", today) == today  # today is still open
    for wrong, code in (
        ("2026-11-01", "date_past"),
        ("2027-11-04", "date_far"),
        ("1/12", "not_date"),
    ):
        with pytest.raises(InputProblem) as problem:
            parse_deadline(wrong, today)
        assert problem.value.code == code


def test_cycles_are_due_at_noon_after_their_last_day() -> None:
    start = D(2026, 11, 2)
    first = cycle(start, 14, 0, SHANGHAI)
    assert (first.first_day, first.last_day) == (D(2026, 11, 2), D(2026, 11, 15))
    assert first.due == utc(2026, 11, 16, 4)  # 12:00 in Shanghai
    assert first.remind == utc(2026, 11, 14, 4)
    # On Mon 16 Nov at 11:00 in Shanghai the first cycle may still be reported, and the
    # second is open; at 12:00 the first is due.
    assert [c.number for c in reportable_cycles(start, 14, utc(2026, 11, 16, 3), SHANGHAI)] == [
        0,
        1,
    ]
    assert [c.number for c in reportable_cycles(start, 14, utc(2026, 11, 16, 4), SHANGHAI)] == [1]
    assert [c.number for c in cycles_due(start, 14, utc(2026, 11, 16, 4), SHANGHAI)] == [0]
    assert cycles_due(start, 14, utc(2026, 11, 1), SHANGHAI) == []
    assert len(cycles_due(start, 7, utc(2026, 12, 1), SHANGHAI)) == 4  # 9, 16, 23, 30 Nov


def test_participation_is_each_members_share_of_the_cycles_averaged() -> None:
    # Four cycles due; A took part in all, B in one, C in none: (1 + 1/4 + 0) / 3.
    contributions = {0: [1, 2], 1: [1], 2: [1], 3: [1], 4: [1, 2, 3]}  # cycle 4 is not due
    assert participation([1, 2, 3], contributions, 4) == Fraction(5, 12)
    assert participation([1, 2], {0: [1, 2]}, 1) == 1
    assert participation([], {0: [1]}, 1) == 0
    assert participation([1], {}, 0) == 0


def test_training_credits_count_complete_blocks() -> None:
    rules = CreditRules()
    done = training_credits(int(52.5 * 60), rules)
    assert (done.hours, done.blocks, done.earned, done.toward_next) == (
        Decimal("52.5"),
        1,
        Decimal(1),
        Decimal("12.5"),
    )
    assert training_credits(39 * 60 + 59, rules).earned == 0
    assert training_credits(80 * 60, rules).earned == 2
    custom = CreditRules(training_hours_per_credit=Decimal(32), training_credits=Decimal("0.5"))
    assert training_credits(100 * 60, custom).earned == Decimal("1.5")  # three blocks
    assert research_credits(3, CreditRules(per_topic_cycle=Decimal("1.5"))) == Decimal("4.5")


def _figures(**values: float | None) -> Figures:
    base: dict[str, float | int | None] = {
        "checkins": 2,
        "checkin_attendance": 1.0,
        "requests": 3,
        "unacknowledged": 0,
        "response_minutes": 30.0,
        "scores_due": 4,
        "scored_on_time": 1.0,
        "applications": 0,
        "topics_answered": None,
    }
    return Figures(**{**base, **values})  # type: ignore[arg-type]


def test_below_the_thresholds() -> None:
    limits = Thresholds()
    assert below(_figures(), limits) == []
    weak = _figures(checkin_attendance=0.0, response_minutes=math.inf, scored_on_time=0.5)
    assert below(weak, limits) == ["checkin_attendance", "response_minutes", "scored_on_time"]
    # At the threshold is not below it; nothing to measure is never below.
    assert below(_figures(checkin_attendance=0.5, response_minutes=240.0), limits) == []
    assert below(_figures(checkin_attendance=None, scored_on_time=None), limits) == []
    # JSON keeps "never acknowledged".
    assert Figures.from_json(weak.to_json()) == weak


def test_median_wait_counts_never_acknowledged_as_for_ever() -> None:
    minutes = dt.timedelta(minutes=1)
    assert median_minutes([]) is None
    assert median_minutes([10 * minutes, None, 30 * minutes]) == 30.0
    assert median_minutes([10 * minutes, None, None]) == math.inf
    assert median_minutes([10 * minutes, 20 * minutes]) == 10.0  # the lower middle


def test_the_digest_is_due_on_its_day_for_the_month_before() -> None:
    assert previous_month(D(2026, 1, 1)) == D(2025, 12, 1)
    # 1 Dec 09:00 in Shanghai is 01:00 UTC.
    assert due_month(utc(2026, 12, 1, 0, 59), SHANGHAI, 1, "09:00") is None
    assert due_month(utc(2026, 12, 1, 1, 0), SHANGHAI, 1, "09:00") == D(2026, 11, 1)
    assert due_month(utc(2026, 12, 20), SHANGHAI, 1, "09:00") == D(2026, 11, 1)
    assert due_month(utc(2026, 12, 2), SHANGHAI, 3, "09:00") is None
