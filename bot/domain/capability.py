"""The capability model as pure functions over pandas frames: joint scores, baselines,
improvement, disagreement, participation, collaboration models and Cronbach's alpha.

Scores arrive as one row per (student, week, party kind) with one column per dimension
(`SCORE_COLUMNS`); a missing dimension is NaN. Nothing here touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from bot import lazy
from bot.domain.reports import DIMENSIONS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = lazy.load("numpy")
    pd = lazy.load("pandas")

DIMS = [d.value for d in DIMENSIONS]
SCORE_COLUMNS = ["student", "week", "party_kind", *DIMS]


@dataclass(frozen=True)
class ModelRules:
    """How scores are combined: weights per party kind (missing kinds weigh 1), the number of
    first and last assessed weeks that make the baseline and the current level, and the spread
    between parties above which a score is flagged."""

    weights: Mapping[str, float] = field(default_factory=dict)
    baseline_weeks: int = 2
    current_weeks: int = 2
    disagreement: float = 20.0


@dataclass(frozen=True)
class Change:
    """A baseline and a current level as shown, and the change worked out from those shown
    figures, so that they add up for the reader: 64.8 → 71.6 is +6.8 points (+10.5%),
    not the +6.9 (+10.6%) of the unrounded levels 64.77 and 71.63. `percent` is None when
    the baseline is 0 (no percent of nothing)."""

    baseline: Decimal
    current: Decimal
    points: Decimal
    percent: Decimal | None


def _rounded(value: float, digits: int) -> Decimal:
    # Half up, as people round (57.25 is 57.3), not as binary floats happen to round.
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def shown_change(baseline: float, current: float, digits: int = 1) -> Change | None:
    """The figures to show for a change from `baseline` to `current` at `digits` decimals;
    None when either is missing (NaN)."""
    if math.isnan(baseline) or math.isnan(current):
        return None
    low, high = _rounded(baseline, digits), _rounded(current, digits)
    points = high - low
    percent = _rounded(float(points / low * 100), digits) if low > 0 else None
    return Change(low, high, points, percent)


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="float64") for column in SCORE_COLUMNS}).astype(
        {"student": "int64", "week": "datetime64[ns]", "party_kind": "object"}
    )


def _numeric(scores: pd.DataFrame) -> pd.DataFrame:
    """The frame with every dimension as float64 (None becomes NaN)."""
    return scores.astype(dict.fromkeys(DIMS, "float64"))


def _student_weeks(scores: pd.DataFrame) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """Each row's (student, week) as a group number, the groups numbered in (student, week)
    order, and each group's student and week."""
    students, student_values = pd.factorize(scores["student"], sort=True)
    weeks, week_values = pd.factorize(scores["week"], sort=True)
    span = len(week_values)
    pairs, pair_values = pd.factorize(students.astype("int64") * span + weeks, sort=True)
    return pairs, student_values.take(pair_values // span), week_values.take(pair_values % span)


def joint_scores(scores: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    """Per student and week, each dimension's weighted mean over the parties that scored it.

    Weights are renormalised over the parties present, so a party that did not score a week
    does not pull its joint score down. Summed with numpy over group numbers: a pandas
    group-by costs milliseconds however few the rows (/progress has a few hundred), and
    seconds over a cohort's millions."""
    if scores.empty:
        return pd.DataFrame(columns=["student", "week", *DIMS])
    groups, students, weeks = _student_weeks(scores)
    kinds, kind_values = pd.factorize(scores["party_kind"])
    weight = np.array([float(rules.weights.get(k, 1.0)) for k in kind_values])[kinds]
    joint: dict[str, object] = {"student": students, "week": weeks}
    for dim in DIMS:
        values = scores[dim].to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(values)
        total = np.bincount(groups, weights=np.where(present, weight, 0.0), minlength=len(students))
        summed = np.bincount(
            groups, weights=np.where(present, values * weight, 0.0), minlength=len(students)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            joint[dim] = pd.Series(np.where(total > 0, summed / total, np.nan))
    return pd.DataFrame(joint)


def capability(joint: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    """Per student and dimension: baseline (mean of the first assessed weeks), current level
    (mean of the last ones), improvement in points and in percent of the baseline, and the
    number of weeks assessed. A student with fewer weeks than both windows together has
    overlapping windows (one week: no improvement yet). Rows in student and dimension order."""
    columns = ["student", "dimension", "baseline", "current", "points", "percent", "weeks"]
    if joint.empty:
        return pd.DataFrame(columns=columns)
    joint = joint.sort_values(["student", "week"], kind="stable")
    students = joint["student"].to_numpy()
    blocks = []  # per dimension, in the order of their names: student, baseline, current, weeks
    for dim in sorted(DIMS):
        values = joint[dim].to_numpy(dtype="float64", na_value=np.nan)
        assessed = ~np.isnan(values)
        student, value = students[assessed], values[assessed]
        if not len(value):
            continue  # nobody was scored on it
        first = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])  # a student's first
        weeks = np.diff(np.r_[first, len(value)])
        group = np.repeat(np.arange(len(first)), weeks)
        order = np.arange(len(value)) - first[group]  # 0 for each student's first week
        early = order < rules.baseline_weeks
        late = order >= weeks[group] - rules.current_weeks
        blocks.append(
            (
                dim,
                student[first],
                np.bincount(group, np.where(early, value, 0.0)) / np.bincount(group, early),
                np.bincount(group, np.where(late, value, 0.0)) / np.bincount(group, late),
                weeks,
            )
        )
    if not blocks:
        return pd.DataFrame(columns=columns)
    # Stable by student over blocks in dimension order: student, then dimension.
    student = np.concatenate([block[1] for block in blocks])
    at = np.argsort(student, kind="stable")
    result = pd.DataFrame(
        {
            "student": student[at],
            "dimension": np.repeat(
                np.array([block[0] for block in blocks], dtype=object),
                [len(block[1]) for block in blocks],
            )[at],
            "baseline": np.concatenate([block[2] for block in blocks])[at],
            "current": np.concatenate([block[3] for block in blocks])[at],
            "weeks": np.concatenate([block[4] for block in blocks])[at].astype("int64"),
        }
    )
    result["points"] = result["current"] - result["baseline"]
    result["percent"] = (result["points"] / result["baseline"] * 100).where(result["baseline"] > 0)
    return result[columns]


def disagreements(scores: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    """The (student, week, dimension) scores whose parties differ by more than the threshold."""
    columns = ["student", "week", "dimension", "low", "high", "spread"]
    if scores.empty:
        return pd.DataFrame(columns=columns)
    grouped = _numeric(scores).groupby(["student", "week"], sort=True)[DIMS]
    low, high = grouped.min(), grouped.max()
    parts = []
    for dim in DIMS:
        spread = high[dim] - low[dim]
        flagged = spread > rules.disagreement
        if flagged.any():
            parts.append(
                pd.DataFrame(
                    {
                        "dimension": dim,
                        "low": low.loc[flagged, dim],
                        "high": high.loc[flagged, dim],
                        "spread": spread[flagged],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    found = pd.concat(parts).reset_index()
    return found.sort_values(["student", "week", "dimension"], ignore_index=True)[columns]


def count_disagreements(scores: pd.DataFrame, rules: ModelRules) -> int:
    """How many rows `disagreements` would list, without building them (for /progress)."""
    if scores.empty:
        return 0
    groups, students, _ = _student_weeks(scores)
    flagged = 0
    for dim in DIMS:
        values = scores[dim].to_numpy(dtype="float64", na_value=np.nan)
        scored = ~np.isnan(values)
        high = np.full(len(students), -np.inf)
        low = np.full(len(students), np.inf)
        np.maximum.at(high, groups[scored], values[scored])
        np.minimum.at(low, groups[scored], values[scored])
        flagged += int((high - low > rules.disagreement).sum())
    return flagged


def participation_rate(submitted: int, expected: int) -> float | None:
    """Reports submitted over weeks expected (None when nothing was expected yet)."""
    return None if expected <= 0 else min(submitted, expected) / expected


def collaboration_models(scores: pd.DataFrame) -> pd.Series:
    """Per student, how many kinds of party took part in scoring them (2, 3 or 4 ...)."""
    if scores.empty:
        return pd.Series(dtype="int64", name="model")
    return scores.groupby("student")["party_kind"].nunique().rename("model")


def cronbach_alpha(items: pd.DataFrame) -> float | None:
    """Cronbach's alpha of `items` (one column per rater, one row per case); rows with a
    missing rating are left out. None without at least two raters and three complete cases,
    or when the totals do not vary."""
    complete = items.dropna()
    k, n = complete.shape[1], complete.shape[0]
    if k < 2 or n < 3:
        return None
    item_variance = complete.var(axis=0, ddof=1).sum()
    total_variance = complete.sum(axis=1).var(ddof=1)
    if not np.isfinite(total_variance) or total_variance == 0:
        return None
    return float(k / (k - 1) * (1 - item_variance / total_variance))


def scoring_reliability(scores: pd.DataFrame) -> dict[str, float | None]:
    """Per dimension, Cronbach's alpha with the party kinds as raters and each assessed
    student-week as a case; only kinds that scored at least half of the cases take part."""
    if scores.empty:
        return dict.fromkeys(DIMS)
    scores = _numeric(scores)
    cases = scores.groupby(["student", "week"], sort=False).ngroup().to_numpy()
    kind_codes, kinds = pd.factorize(scores["party_kind"])
    result: dict[str, float | None] = {}
    for dim in DIMS:
        # One rating per (case, kind): the database keeps one assessment per party and week.
        matrix = np.full((cases.max() + 1, len(kinds)), np.nan)
        matrix[cases, kind_codes] = scores[dim].to_numpy()
        wide = pd.DataFrame(matrix, columns=list(kinds))
        wide = wide.dropna(how="all")
        frequent = wide.loc[:, wide.notna().mean() >= 0.5]
        result[dim] = cronbach_alpha(frequent)
    return result


def group_summary(cap: pd.DataFrame, groups: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean baseline, current level and improvement per dimension for each group, in points
    and in percent of the group's mean baseline (so that the three figures of a line agree).

    `groups` maps students to groups (columns `student` and `by`; a student may belong to
    several groups, e.g. to every party that mentored them)."""
    columns = [by, "dimension", "students", "baseline", "current", "points", "percent"]
    if cap.empty or groups.empty:
        return pd.DataFrame(columns=columns)
    merged = cap.merge(groups[["student", by]].drop_duplicates(), on="student")
    summary = merged.groupby([by, "dimension"], sort=True).agg(
        students=("student", "nunique"),
        baseline=("baseline", "mean"),
        current=("current", "mean"),
        points=("points", "mean"),
    )
    summary["percent"] = (summary["points"] / summary["baseline"] * 100).where(
        summary["baseline"] > 0
    )
    return summary.reset_index()[columns]
