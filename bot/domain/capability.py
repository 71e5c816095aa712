"""The capability model as pure functions over pandas frames: joint scores, baselines,
improvement, disagreement, participation, collaboration models and Cronbach's alpha.

Scores arrive as one row per (student, week, party kind) with one column per dimension
(`SCORE_COLUMNS`); a missing dimension is NaN. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bot.domain.reports import DIMENSIONS

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


def empty_scores() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="float64") for column in SCORE_COLUMNS}).astype(
        {"student": "int64", "week": "datetime64[ns]", "party_kind": "object"}
    )


def _numeric(scores: pd.DataFrame) -> pd.DataFrame:
    """The frame with every dimension as float64 (None becomes NaN)."""
    return scores.astype(dict.fromkeys(DIMS, "float64"))


def joint_scores(scores: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    """Per student and week, each dimension's weighted mean over the parties that scored it.

    Weights are renormalised over the parties present, so a party that did not score a week
    does not pull its joint score down."""
    if scores.empty:
        return pd.DataFrame(columns=["student", "week", *DIMS])
    scores = _numeric(scores)
    weight = scores["party_kind"].map(lambda kind: float(rules.weights.get(kind, 1.0)))
    frame = scores[["student", "week"]].copy()
    for dim in DIMS:
        present = scores[dim].notna()
        frame[f"{dim}__w"] = weight.where(present, 0.0)
        frame[f"{dim}__ws"] = (scores[dim] * weight).where(present, 0.0)
    sums = frame.groupby(["student", "week"], sort=True).sum()
    joint = pd.DataFrame(index=sums.index)
    for dim in DIMS:
        total = sums[f"{dim}__w"]
        joint[dim] = (sums[f"{dim}__ws"] / total).where(total > 0)
    return joint.reset_index()


def capability(joint: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    """Per student and dimension: baseline (mean of the first assessed weeks), current level
    (mean of the last ones), improvement in points and in percent of the baseline, and the
    number of weeks assessed. A student with fewer weeks than both windows together has
    overlapping windows (one week: no improvement yet)."""
    columns = ["student", "dimension", "baseline", "current", "points", "percent", "weeks"]
    if joint.empty:
        return pd.DataFrame(columns=columns)
    long = joint.melt(id_vars=["student", "week"], value_vars=DIMS, var_name="dimension")
    long = long.dropna(subset=["value"]).sort_values(["student", "dimension", "week"])
    grouped = long.groupby(["student", "dimension"], sort=True)["value"]
    order = grouped.cumcount()
    count = grouped.transform("size")
    baseline = long[order < rules.baseline_weeks].groupby(["student", "dimension"])["value"].mean()
    current = (
        long[order >= count - rules.current_weeks].groupby(["student", "dimension"])["value"].mean()
    )
    result = pd.DataFrame(
        {"baseline": baseline, "current": current, "weeks": grouped.size().astype("int64")}
    )
    result["points"] = result["current"] - result["baseline"]
    result["percent"] = (result["points"] / result["baseline"] * 100).where(result["baseline"] > 0)
    return result.reset_index()[columns]


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
    grouped = _numeric(scores).groupby(["student", "week"], sort=False)[list(DIMS)]
    spread = grouped.max() - grouped.min()
    return int((spread > rules.disagreement).to_numpy().sum())


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
    """Mean baseline, current level and improvement per dimension for each group.

    `groups` maps students to groups (columns `student` and `by`; a student may belong to
    several groups, e.g. to every party that mentored them)."""
    columns = [by, "dimension", "students", "baseline", "current", "points"]
    if cap.empty or groups.empty:
        return pd.DataFrame(columns=columns)
    merged = cap.merge(groups[["student", by]].drop_duplicates(), on="student")
    summary = merged.groupby([by, "dimension"], sort=True).agg(
        students=("student", "nunique"),
        baseline=("baseline", "mean"),
        current=("current", "mean"),
        points=("points", "mean"),
    )
    return summary.reset_index()[columns]
