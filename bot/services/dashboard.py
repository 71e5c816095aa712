"""The Mini App's figures: the cohort's summary as /cohort computes it (the same service,
`bot.services.analytics.cohort`, so the page and the chat show the same numbers), cached
under the database's data version, and the roster a coordinator filters and opens.

The summary of 10,000 students takes about a second of pandas; the page asks for it every
time it is opened. `SummaryCache` keeps the last one computed with the data version it was
computed at (`db/data_version.py`) and the moment its participation figures change (the
next weekly deadline, in any of the cohort's time zones). A read costs one primary-key
lookup; a replica that has not seen a change recomputes, none serves a stale summary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from bot import lazy
from bot.domain.capability import DIMS, shown_change
from bot.domain.reports import week_of
from bot.domain.time import local_today
from bot.services import analytics
from bot.services.context import ServiceContext

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")

JSON = dict[str, Any]
ROSTER_PAGE = 100  # students listed at once; filters and search narrow the rest


def _figure(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def change_json(baseline: object, current: object) -> JSON | None:
    """A change as /cohort shows it: rounded levels, and points and percent worked out from
    them (`bot.domain.capability.shown_change`)."""
    change = shown_change(float(baseline), float(current))  # type: ignore[arg-type]
    if change is None:
        return None
    return {
        "baseline": _figure(change.baseline),
        "current": _figure(change.current),
        "points": _figure(change.points),
        "percent": _figure(change.percent),
    }


def groups_json(summary: pd.DataFrame, by: str) -> list[JSON]:
    """Per group: its students and each dimension's change (as `_summary_lines` shows)."""
    rows: list[JSON] = []
    if summary.empty:
        return rows
    for name, part in summary.groupby(by, sort=False):
        part = part.set_index("dimension")
        rows.append(
            {
                "name": str(name) if by != "model" else int(cast(Any, name)),
                "students": int(cast(Any, part["students"].max())),
                "dims": {
                    d: change_json(part.loc[d, "baseline"], part.loc[d, "current"])
                    for d in DIMS
                    if d in part.index
                },
            }
        )
    rows.sort(key=lambda row: str(row["name"]))
    return rows


@dataclass
class Summary:
    """The cohort's figures for the page (numbers only: the page names them in the reader's
    language), and the roster behind them."""

    version: int
    valid_until: dt.datetime | None
    figures: JSON
    roster: list[JSON] = field(default_factory=list)


def next_deadline(cohort: analytics.Cohort, now: dt.datetime) -> dt.datetime | None:
    """The first weekly deadline after `now` in any of the cohort's zones: participation
    counts the weeks whose deadline has passed, so it changes then."""
    deadline = cohort.rules.calendar.deadline
    moments = []
    for zone in {info.zone for info in cohort.students.values()}:
        monday = week_of(local_today(now, zone))
        for weeks in range(-3, 3):
            moment = deadline.on(monday + dt.timedelta(weeks=weeks), zone)
            if moment > now:
                moments.append(moment)
    return min(moments, default=None)


async def _summarise(ctx: ServiceContext, version: int) -> Summary:
    cohort = await analytics.cohort(ctx.repos, ctx.now, ctx.default_tz)
    mentor_parties = await ctx.repos.placements.mentor_parties()
    site_names = {p.id: p.name for p in await ctx.repos.parties.all()}
    return await asyncio.to_thread(_build, cohort, mentor_parties, site_names, ctx.now, version)


def _build(
    cohort: analytics.Cohort,
    mentor_parties: list[tuple[int, str]],
    site_names: dict[int, str],
    now: dt.datetime,
    version: int,
) -> Summary:
    taking_part = list(cohort.participation.values())
    figures: JSON = {
        "students": len(cohort.students),
        "expected": sum(p.expected for p in taking_part),
        "submitted": sum(p.submitted for p in taking_part),
        "late": sum(p.late for p in taking_part),
        "groups": {
            "party": groups_json(cohort.by_party, "party"),
            "site": groups_json(cohort.by_site, "site"),
            "model": groups_json(cohort.by_model, "model"),
        },
        "reliability": dict(cohort.reliability),
        "flagged": len(cohort.flagged),
    }
    parties: dict[int, list[str]] = {}
    for student, party in mentor_parties:
        parties.setdefault(student, []).append(party)
    models = analytics_models(cohort)
    # The levels as computed; rounded as /progress shows them only for the rows served.
    levels: dict[int, dict[str, tuple[float, float]]] = {}
    cap = cohort.capability
    if not cap.empty:
        for student, dimension, baseline, current in zip(
            cap["student"].tolist(),
            cap["dimension"].tolist(),
            cap["baseline"].tolist(),
            cap["current"].tolist(),
            strict=True,
        ):
            levels.setdefault(int(student), {})[str(dimension)] = (baseline, current)
    roster = []
    for student, info in cohort.students.items():
        taking = cohort.participation.get(student)
        roster.append(
            {
                "id": info.person.telegram_id,
                "name": info.person.name or str(info.person.telegram_id),
                "sites": sorted({site_names.get(p.site_id, "?") for p in info.placements}),
                "parties": sorted(set(parties.get(student, []))),
                "model": models.get(student),
                "expected": taking.expected if taking else 0,
                "submitted": taking.submitted if taking else 0,
                "levels": levels.get(student, {}),
            }
        )
    roster.sort(key=lambda entry: (str(entry["name"]).casefold(), entry["id"]))
    return Summary(version, next_deadline(cohort, now), figures, roster)


def analytics_models(cohort: analytics.Cohort) -> dict[int, int]:
    """Per student, how many kinds of party scored them (the collaboration model)."""
    if cohort.scores.empty:
        return {}
    counts = cohort.scores.groupby("student")["party_kind"].nunique()
    return {int(cast(Any, k)): int(v) for k, v in counts.items()}


class SummaryCache:
    """The last summary computed, reused while the data version and the deadlines hold.
    Computing is serialised: ten coordinators opening the page at once compute it once."""

    def __init__(self) -> None:
        self._summary: Summary | None = None
        self._lock = asyncio.Lock()
        self.computed = 0  # how many times it was computed (the tests and benchmarks read it)
        self.last_read: float | None = None  # monotonic time of the last request for it

    def _fresh(self, version: int, now: dt.datetime) -> Summary | None:
        found = self._summary
        if found is None or found.version != version:
            return None
        if found.valid_until is not None and now >= found.valid_until:
            return None
        return found

    def read_within(self, seconds: float) -> bool:
        """Someone asked for the summary in the last `seconds` (worth keeping it warm)."""
        return self.last_read is not None and time.monotonic() - self.last_read < seconds

    async def get(self, ctx: ServiceContext, *, reading: bool = True) -> Summary:
        """The summary at the database's current version (computed now if it changed);
        `reading=False` for the warmer, which must not count as someone reading."""
        if reading:
            self.last_read = time.monotonic()
        version = await ctx.repos.dashboard.analytics_version()
        found = self._fresh(version, ctx.now)
        if found is not None:
            return found
        async with self._lock:
            found = self._fresh(version, ctx.now)
            if found is None:
                found = self._summary = await _summarise(ctx, version)
                self.computed += 1
        return found


@dataclass(frozen=True)
class RosterFilter:
    party: str | None = None
    site: str | None = None
    model: int | None = None
    search: str | None = None


def filtered_roster(summary: Summary, wanted: RosterFilter) -> tuple[list[JSON], int]:
    """The students matching the filter (a page of them) and how many match."""
    needle = (wanted.search or "").strip().casefold()
    matching = [
        row
        for row in summary.roster
        if (wanted.party is None or wanted.party in row["parties"])
        and (wanted.site is None or wanted.site in row["sites"])
        and (wanted.model is None or row["model"] == wanted.model)
        and (not needle or needle in row["name"].casefold() or needle == str(row["id"]))
    ]
    page = [
        {
            **{key: value for key, value in row.items() if key != "levels"},
            "dims": {d: change_json(*pair) for d, pair in row["levels"].items()},
        }
        for row in matching[:ROSTER_PAGE]
    ]
    return page, len(matching)
