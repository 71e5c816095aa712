"""The capability model's numpy sums against the pandas group-bys they replaced (kept here as
the reference, as they were): the same frames on random cohorts with gaps, weights, a
dimension nobody scored, unsorted rows and students with a single week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bot.domain.capability import (
    DIMS,
    ModelRules,
    capability,
    count_disagreements,
    joint_scores,
)

KINDS = ["university", "enterprise", "research", "overseas_site"]


def reference_joint(scores: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    scores = scores.astype(dict.fromkeys(DIMS, "float64"))
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


def reference_capability(joint: pd.DataFrame, rules: ModelRules) -> pd.DataFrame:
    columns = ["student", "dimension", "baseline", "current", "points", "percent", "weeks"]
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


def reference_count(scores: pd.DataFrame, rules: ModelRules) -> int:
    grouped = scores.astype(dict.fromkeys(DIMS, "float64")).groupby(["student", "week"])[DIMS]
    spread = grouped.max() - grouped.min()
    return int((spread > rules.disagreement).to_numpy().sum())


def random_scores(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for student in rng.choice(1000, size=int(rng.integers(1, 40)), replace=False):
        weeks = pd.date_range("2026-09-07", periods=int(rng.integers(1, 12)), freq="7D")
        for week in weeks:
            for kind in rng.choice(KINDS, size=int(rng.integers(1, 5)), replace=False):
                rows.append((int(student), week, kind, *rng.integers(0, 101, 3).astype(float)))
    frame = pd.DataFrame(rows, columns=["student", "week", "party_kind", *DIMS])
    for dim in DIMS[:2]:  # gaps in two dimensions; the third, in one cohort of four, empty
        frame.loc[rng.random(len(frame)) < 0.2, dim] = np.nan
    if seed % 4 == 0:
        frame[DIMS[2]] = np.nan
    return frame.sample(frac=1.0, random_state=seed, ignore_index=True)  # any row order


@pytest.mark.parametrize("seed", range(12))
def test_numpy_sums_match_the_pandas_group_bys(seed: int) -> None:
    scores = random_scores(seed)
    rules = ModelRules(
        weights={"enterprise": 3, "research": 0.5},
        baseline_weeks=1 + seed % 3,
        current_weeks=1 + seed % 4,
        disagreement=15 + seed,
    )
    joint = joint_scores(scores, rules)
    pd.testing.assert_frame_equal(joint, reference_joint(scores, rules), check_exact=False)
    pd.testing.assert_frame_equal(
        capability(joint, rules), reference_capability(joint, rules), check_exact=False
    )
    assert count_disagreements(scores, rules) == reference_count(scores, rules)
