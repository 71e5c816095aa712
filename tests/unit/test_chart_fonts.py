"""A chart in Chinese is drawn with the machine's CJK font: with only matplotlib's default
font every Chinese glyph is missing (drawn as a box, and a warning this suite turns into an
error). Where no CJK font is installed, `usable` keeps the English labels instead."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from bot.renderers.charts import grouped_bars, has_cjk_font


@pytest.mark.skipif(not has_cjk_font(), reason="no CJK font on this machine")
def test_a_chart_with_chinese_labels_finds_every_glyph() -> None:
    summary = pd.DataFrame(
        {
            "model": [2, 2, 3],
            "dimension": ["tech_rd", "cross_cultural", "tech_rd"],
            "points": [4.0, -1.5, 2.0],
        }
    )
    labels = {"tech_rd": "技术研发", "cross_cultural": "跨文化运营"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = grouped_bars(summary, "model", "points", "各合作模式的能力提升", labels)
    assert png.startswith(b"\x89PNG")
