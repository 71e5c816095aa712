"""Time helpers every feature shares: weekdays, durations, local days and whose zone counts.

Each feature's rules (on-call hand-offs, check-in schedules, report moments) parse the same
weekday names and durations and fall back through the same chain of time zones; they are
written once here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.numbers import NotANumber, parse_int

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DURATION_UNITS = 10**6  # of any unit: a million days still fits in a timedelta


def weekday(word: str) -> int | None:
    """The weekday `mon` ... `sun` names (0 = Monday), or None for any other word."""
    return WEEKDAYS.index(word) if word in WEEKDAYS else None


def parse_duration(text: str) -> dt.timedelta:
    """`30m`, `2h`, `1h30m`, `1d`, `45s`; ValueError otherwise."""
    parts = re.findall(r"([0-9]+)\s*([dhms])", text.lower())
    if not parts or re.sub(r"\s|[0-9]+\s*[dhms]", "", text.lower()):
        raise ValueError(f"expected a duration such as 30m or 2h, got {text!r}")
    unit = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    delta = dt.timedelta()
    for amount, letter in parts:
        count = parse_int(amount, 0, MAX_DURATION_UNITS)
        if isinstance(count, NotANumber):
            raise ValueError(f"{amount}{letter} is far too long, in {text!r}")
        delta += dt.timedelta(**{unit[letter]: count})
    if delta <= dt.timedelta():
        raise ValueError(f"a duration must be positive, got {text!r}")
    return delta


def format_duration(delta: dt.timedelta) -> str:
    """`1d2h`: the shortest text `parse_duration` reads back as `delta`."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if n
    )
    return text or "0s"


def local_today(now: dt.datetime, zone: str) -> dt.date:
    """The day it is at `now` in `zone`."""
    return now.astimezone(ZoneInfo(zone)).date()


class Zoned(Protocol):
    """Anything that may have a time zone of its own: a person, a party, the consortium."""

    @property
    def timezone(self) -> str | None: ...


def first_zone(*holders: Zoned | None, default: str) -> str:
    """The zone of the first holder that has one (e.g. the person, their party, the
    consortium), else `default` (the `DEFAULT_TIMEZONE` setting)."""
    for holder in holders:
        if holder is not None and holder.timezone:
            return holder.timezone
    return default
