"""Mandatory participation, as pure rules: the kinds of party every placement must have
among its mentors, the least share of weeks each mentor must score, and the steps of
reminding a mentor below it (the mentor, then their party's contact, then the
coordinators), each once, a delay apart.

Against "formalistic collaboration": a party that signs a placement and never scores is
found by these rules, not only mentioned in a monthly digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.domain.kinds import PartyKind
from bot.domain.time import parse_duration


def _duration(value: str) -> str:
    parse_duration(value)
    return value


class ParticipationSpec(BaseModel):
    """The `participation` section of the consortium file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    required: list[PartyKind] = Field(default_factory=list)  # in every placement's mentors
    mentor_share: Decimal = Field(default=Decimal(0), ge=0, le=100, decimal_places=2)
    # A week counts for a mentor once its scores were asked for this long ago.
    counted_after: Annotated[str, AfterValidator(_duration)] = "7d"
    min_weeks: int = Field(default=2, ge=1, le=52)  # weeks counted before a share is judged
    escalate_after: Annotated[str, AfterValidator(_duration)] = "3d"  # between the steps


def missing_kinds(required: Iterable[PartyKind], mentors: Iterable[PartyKind]) -> list[PartyKind]:
    """The required kinds a placement's mentors leave out, in the order required."""
    present = set(mentors)
    return [kind for kind in dict.fromkeys(required) if kind not in present]


def placement_problems(
    required: Sequence[PartyKind], placements: Iterable[tuple[int, Iterable[PartyKind]]]
) -> list[str]:
    """`placements[3].mentors: research is required`, for each (position, mentor kinds)."""
    return [
        f"placements[{i}].mentors: {kind.value} is required"
        for i, kinds in placements
        for kind in missing_kinds(required, kinds)
    ]


@dataclass(frozen=True)
class MentorShare:
    """Of the weeks a mentor was asked to score (counted ones only), how many they scored."""

    mentor_id: int
    scored: int
    due: int

    @property
    def share(self) -> float:
        return self.scored / self.due if self.due else 1.0


def is_below(found: MentorShare, least: Decimal, min_weeks: int) -> bool:
    """Below the least share, once enough weeks count for it to mean something."""
    return least > 0 and found.due >= min_weeks and found.share * 100 < float(least)


class Step(StrEnum):
    """Who is told, in order: the mentor, their party's contact, the coordinators."""

    MENTOR = "mentor"
    CONTACT = "contact"
    COORDINATORS = "coordinators"


STEPS: tuple[Step, ...] = tuple(Step)


def step_due(
    last: Step | None, last_at: dt.datetime | None, now: dt.datetime, after: dt.timedelta
) -> Step | None:
    """The step to take now for a mentor below the share: the first at once, each next one
    `after` the one before, none after the coordinators (each step is taken once)."""
    if last is None or last_at is None:
        return STEPS[0]
    index = STEPS.index(last)
    if index + 1 >= len(STEPS) or now - last_at < after:
        return None
    return STEPS[index + 1]
