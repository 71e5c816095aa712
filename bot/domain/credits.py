"""Credits for overseas practice: full calendar months abroad times a rate (2 by default)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

DEFAULT_PER_MONTH = Decimal(2)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def full_months(start: dt.date, end: dt.date) -> int:
    """Complete months in the stay from `start` to `end`, both days included.

    1 Sep - 30 Sep is one month; 15 Sep - 14 Nov is two; 31 Jan - 28 Feb (not a leap year)
    is one, because the month from 31 January ends on the last day of February."""
    after = end + dt.timedelta(days=1)
    if after <= start:
        return 0
    months = (after.year - start.year) * 12 + after.month - start.month
    while months > 0 and _month_after(start, months) > after:
        months -= 1
    return months


def _month_after(start: dt.date, months: int) -> dt.date:
    """The first day after `months` full months from `start`: a month that lacks the start's
    day ends on its last day."""
    day = add_months(start, months)
    return day if day.day == start.day else day + dt.timedelta(days=1)


@dataclass(frozen=True)
class Credits:
    months: int  # full months abroad so far
    earned: Decimal  # credits for them
    planned_months: int  # full months in the whole stay
    planned: Decimal


def overseas_credits(
    start: dt.date, end: dt.date, today: dt.date, per_month: Decimal = DEFAULT_PER_MONTH
) -> Credits:
    """Credits earned by `today` and planned for the whole stay."""
    so_far = full_months(start, min(end, today - dt.timedelta(days=1)))
    planned = full_months(start, end)
    return Credits(so_far, so_far * per_month, planned, planned * per_month)


DEFAULT_TRAINING_HOURS = Decimal(40)
DEFAULT_PER_CYCLE = Decimal(1)
# A student's training on one day, from every enterprise together: a day has 24 hours.
MAX_TRAINING_MINUTES_PER_DAY = 24 * 60


def training_day_room(recorded_minutes: int) -> int:
    """The minutes of training that can still be recorded for a day that has these."""
    return max(0, MAX_TRAINING_MINUTES_PER_DAY - recorded_minutes)


@dataclass(frozen=True)
class CreditRules:
    """How each kind of practice converts to credits (the consortium file's `credits`)."""

    overseas_per_month: Decimal = DEFAULT_PER_MONTH
    training_hours_per_credit: Decimal = DEFAULT_TRAINING_HOURS
    training_credits: Decimal = Decimal(1)  # credits for each block of those hours
    per_topic_cycle: Decimal = DEFAULT_PER_CYCLE


@dataclass(frozen=True)
class TrainingCredits:
    hours: Decimal  # all recorded hours
    blocks: int  # complete blocks of `training_hours_per_credit`
    earned: Decimal
    toward_next: Decimal  # hours already done toward the next block


def training_credits(minutes: int, rules: CreditRules) -> TrainingCredits:
    """Credits for enterprise training: each complete block of hours earns its credits
    (as each full month abroad does); the rest counts toward the next block."""
    hours = Decimal(minutes) / 60
    block_minutes = rules.training_hours_per_credit * 60
    blocks = int(Decimal(minutes) // block_minutes) if block_minutes > 0 else 0
    rest = (Decimal(minutes) - blocks * block_minutes) / 60
    return TrainingCredits(
        hours.quantize(Decimal("0.01")).normalize(),
        blocks,
        blocks * rules.training_credits,
        rest.quantize(Decimal("0.01")).normalize(),
    )


def research_credits(cycles: int, rules: CreditRules) -> Decimal:
    """Credits for research: each accepted report cycle of a topic the student took part in."""
    return cycles * rules.per_topic_cycle
