"""The export's tables and their CSV text, against pandas' own `to_csv` and `melt`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bot.domain.capability import DIMS
from bot.services.export import _long_scores, csv_chunks

AWKWARD = ["plain", "with, comma", 'say "hi"', "two\nlines", "cr\rhere", "", " padded ", "李雷"]


def _frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    floats = rng.normal(50, 20, rows).round(3)
    floats[::7] = np.nan
    return pd.DataFrame(
        {
            "name": pd.Categorical([AWKWARD[i % len(AWKWARD)] for i in range(rows)]),
            "student": rng.integers(1000, 1100, rows),
            "text": pd.array([AWKWARD[i % 5] if i % 6 else None for i in range(rows)], "str"),
            "objects": [None if i % 9 == 0 else (i if i % 2 else f"x{i}") for i in range(rows)],
            "float": floats,
            "special": [[0.1, 1e-05, 1e16, 70.0, -0.0, np.nan, 1 / 3][i % 7] for i in range(rows)],
            "single": np.array([[0.1, 2.5, np.nan][i % 3] for i in range(rows)], dtype="float32"),
            "nullable": pd.array([[0.1, None, 1e16][i % 3] for i in range(rows)], "Float64"),
            "flag": [i % 3 == 0 for i in range(rows)],
            "count": pd.array([None if i % 4 == 0 else i for i in range(rows)], "Int64"),
            "kind": pd.Categorical([["a", None, "b"][i % 3] for i in range(rows)]),
        }
    )


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_csv_text_is_what_to_csv_writes(chunk: int) -> None:
    frame = _frame(200)
    assert "".join(csv_chunks(frame, rows=chunk)) == frame.to_csv(index=False)


def test_many_distinct_values_are_not_combined_into_one_table() -> None:
    # 400 x 400 distinct pairs exceed one table of labels: the columns stay apart.
    frame = pd.DataFrame({"a": np.arange(400) * 3, "b": [f"v{i}" for i in range(400)], "c": 1.5})
    assert "".join(csv_chunks(frame, rows=64)) == frame.to_csv(index=False)


def test_frames_it_does_not_cover_go_to_to_csv() -> None:
    one_column = pd.DataFrame({"only": ["", "a"]})  # an empty single field is written ""
    dates = pd.DataFrame({"at": pd.to_datetime(["2026-01-05", None]), "n": [1, 2]})
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object)})
    for frame in (one_column, dates, empty):
        assert "".join(csv_chunks(frame)) == frame.to_csv(index=False)


def test_long_scores_are_one_row_per_score_in_order() -> None:
    wide = pd.DataFrame(
        {
            "student": [7, 3, 3, 7],
            "week": pd.to_datetime(["2026-03-02", "2026-03-09", "2026-03-02", "2026-03-02"]),
            "party_kind": ["university", "enterprise", "university", "enterprise"],
            "tech_rd": [60.0, np.nan, 71.0, 55.0],
            "cross_cultural": [62.0, 80.0, np.nan, np.nan],
            "rule_adaptation": [np.nan, 90.0, 73.0, np.nan],
        }
    )
    expected = (
        wide.melt(
            id_vars=["student", "week", "party_kind"],
            value_vars=DIMS,
            var_name="dimension",
            value_name="score",
        )
        .dropna(subset=["score"])
        .sort_values(["student", "week", "party_kind", "dimension"])
    )
    long = _long_scores(wide)
    assert list(long.columns) == ["student", "date", "party_kind", "dimension", "score"]
    assert long.astype(object).values.tolist() == [
        [s, w.strftime("%Y-%m-%d"), k, d, int(v)]
        for s, w, k, d, v in expected.itertuples(index=False, name=None)
    ]
    assert len(long) == 7 and long["score"].dtype == "int64"
