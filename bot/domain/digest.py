"""The coordinators' monthly digest per party: how much each party really took part, and
which fell below the consortium's thresholds two months in a row. Pure; the figures come
from `bot.services.digest`."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

# The figures, in the order the digest shows them.
FIGURES = ("checkin_attendance", "response_minutes", "scored_on_time", "topics_answered")
ANSWER_WITHIN = dt.timedelta(days=7)  # an application is answered when decided this soon


@dataclass(frozen=True)
class Thresholds:
    """Below any of these a party's month counts as weak (the consortium file's `digest`)."""

    checkin_attendance: float = 0.5  # share of the month's check-ins it voted in
    response_minutes: float = 240.0  # median minutes until its on-call contact acknowledged
    scored_on_time: float = 0.7  # share of its mentors' scores given within the review time
    topics_answered: float = 0.8  # share of applications to its topics decided within 7 days


@dataclass(frozen=True)
class Figures:
    """A party's month. A figure is None when the month gave it nothing to measure."""

    checkins: int
    checkin_attendance: float | None
    requests: int
    unacknowledged: int
    response_minutes: float | None  # math.inf when most requests were never acknowledged
    scores_due: int
    scored_on_time: float | None
    applications: int
    topics_answered: float | None

    def to_json(self) -> dict[str, float | int | None]:
        values = asdict(self)
        if values["response_minutes"] == math.inf:
            values["response_minutes"] = -1.0  # JSON has no infinity
        return values

    @classmethod
    def from_json(cls, values: dict[str, float | int | None]) -> Figures:
        data = dict(values)
        if data.get("response_minutes") == -1.0:
            data["response_minutes"] = math.inf
        return cls(**data)  # type: ignore[arg-type]


def rate(good: int, total: int) -> float | None:
    return good / total if total else None


def median_minutes(waits: Sequence[dt.timedelta | None]) -> float | None:
    """The median wait in minutes; a request never acknowledged waits for ever."""
    if not waits:
        return None
    minutes = [math.inf if w is None else w.total_seconds() / 60 for w in waits]
    return float(statistics.median_low(minutes))


def below(figures: Figures, thresholds: Thresholds) -> list[str]:
    """The figures under their threshold (for response time: over it)."""
    found = []
    for name in FIGURES:
        value = getattr(figures, name)
        limit = getattr(thresholds, name)
        if value is None:
            continue
        if (value > limit) if name == "response_minutes" else (value < limit):
            found.append(name)
    return found


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
