"""Charts in the reader's language, readable: labels from the catalog, a CJK font used for
Chinese (pytest turns matplotlib's missing-glyph warning into an error), English from the
catalog and one log line where no CJK font is installed, legends clear of the data, weekly
ticks, wrapped names."""

from __future__ import annotations

import io
import logging
import re

import pandas as pd
import pytest
from PIL import Image

from bot.i18n import Translations, Translator
from bot.renderers import charts
from bot.renderers.reports import dimension_name

WEEKS = pd.date_range("2026-11-02", periods=4, freq="7D")


@pytest.fixture(scope="module")
def zh() -> Translator:
    return Translations.load().for_language("zh")


@pytest.fixture(scope="module")
def en() -> Translator:
    return Translations.load().for_language("en")


def _joint(weeks: pd.DatetimeIndex = WEEKS) -> pd.DataFrame:
    n = len(weeks)
    return pd.DataFrame(
        {
            "student": [1] * n,
            "week": weeks,
            "tech_rd": [60.0 + i for i in range(n)],
            "cross_cultural": [55.0 + i for i in range(n)],
            "rule_adaptation": [65.0 + i for i in range(n)],
        }
    )


def _summary(by: str, groups: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                by: group,
                "dimension": dimension,
                "students": 3,
                "baseline": 60.0,
                "current": 70.0 + j,
                "points": 10.0 + j,
                "percent": 16.7,
            }
            for group in groups
            for j, dimension in enumerate(("tech_rd", "cross_cultural", "rule_adaptation"))
        ]
    )


def _latin_words(texts: list[str], allowed: set[str]) -> list[str]:
    return [w for s in texts for w in re.findall(r"[A-Za-z]{2,}", s) if w not in allowed]


def test_progress_chart_labels_come_from_the_chinese_catalog(zh: Translator) -> None:
    figure = charts.progress_figure(_joint(), "Chen Jie", zh)
    said = charts.texts(figure)
    expected = [
        zh.gettext("Progress of {student}").format(student="Chen Jie"),
        zh.gettext("Week (starting Monday)"),
        zh.gettext("Joint score (points, 0–100)"),
        *(dimension_name(d, zh) for d in ("tech_rd", "cross_cultural", "rule_adaptation")),
    ]
    assert all(re.search(r"[\u4e00-\u9fff]", line) for line in expected)  # really translated
    assert set(expected) <= set(said)
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == [
        "11月2日",
        "11月9日",
        "11月16日",
        "11月23日",
    ]
    assert _latin_words(said, {"Chen", "Jie"}) == []


def test_the_png_says_its_words_and_draws_them_with_a_cjk_font(zh: Translator) -> None:
    # Rendering itself is the check: a glyph missing from every font is a warning (an error
    # here), as every Chinese label was before the CJK font was used.
    png = charts.model_chart(_summary("model", [2, 4]), zh)
    image = Image.open(io.BytesIO(png))
    assert image.text["Title"] == zh.gettext("Improvement per collaboration model")
    said = image.text["Description"].splitlines()
    assert "4 类合作方" in said and "（3 名学生）" in said
    # Only the ticks drawn: matplotlib also keeps one beyond each end of the axis.
    figure = charts.model_figure(_summary("model", [2, 4]), zh)
    low, high = sorted(figure.axes[0].get_ylim())
    numbers = [float(w.replace("−", "-")) for w in said if re.fullmatch(r"[−-]?\d+", w)]
    assert numbers and all(low <= n <= high for n in numbers)


def test_the_collaboration_model_is_named_not_numbered(en: Translator) -> None:
    figure = charts.model_figure(_summary("model", [2, 4]), en)
    ticks = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert ticks == ["2 kinds of party\n(3 students)", "4 kinds of party\n(3 students)"]
    assert figure.axes[0].get_ylabel() == "Improvement since the baseline (points)"


def test_the_legend_is_clear_of_the_data(en: Translator) -> None:
    for figure in (
        charts.progress_figure(_joint(), "Chen Jie", en),
        charts.party_figure(_summary("party", ["A", "B", "C", "D"]), en),
    ):
        figure.canvas.draw()
        (legend,) = figure.legends
        plot = figure.axes[0].get_window_extent()
        box = legend.get_window_extent()
        assert box.y1 <= plot.y0  # below the plot, under the tick labels
        assert not figure.axes[0].get_legend()


def test_weekly_data_has_weekly_ticks(en: Translator) -> None:
    figure = charts.progress_figure(_joint(), "Chen Jie", en)
    ticks = pd.to_datetime(figure.axes[0].get_xticks(), unit="D")
    assert list(ticks) == list(WEEKS)
    many = pd.date_range("2026-03-02", periods=30, freq="7D")
    figure = charts.progress_figure(_joint(many), "Chen Jie", en)
    ticks = pd.to_datetime(figure.axes[0].get_xticks(), unit="D")
    assert len(ticks) <= charts.WEEK_LABELS
    assert {step.days for step in ticks[1:] - ticks[:-1]} == {21}  # every third Monday
    assert ticks[0] == many[0]


def test_long_names_are_wrapped(en: Translator, zh: Translator) -> None:
    assert charts.wrap("Bangkok International School") == "Bangkok\nInternational\nSchool"
    assert charts.wrap("宁波大学国际交流学院") == "宁波大学国际交流\n学院"  # 2 columns each
    figure = charts.party_figure(_summary("party", ["Institute of Educational AI"]), zh)
    (tick,) = figure.axes[0].get_xticklabels()
    assert tick.get_text() == "Institute of\nEducational AI\n（3 名学生）"


def test_only_the_first_groups_are_drawn_and_the_rest_counted(en: Translator) -> None:
    parties = [f"Party {i:02}" for i in range(charts.MAX_GROUPS + 3)]
    figure = charts.party_figure(_summary("party", parties), en)
    assert len(figure.axes[0].get_xticklabels()) == charts.MAX_GROUPS
    assert "… and 3 more (see /export)" in charts.texts(figure)


def test_without_a_cjk_font_labels_are_english_and_the_log_says_so_once(
    zh: Translator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    charts._say_glyphs_missing.cache_clear()
    assert charts.font_families() == ("DejaVu Sans",) and not charts.has_cjk_font()
    with caplog.at_level(logging.WARNING, logger="bot.renderers.charts"):
        progress = charts.progress_chart(_joint(), "陈杰", zh)
        charts.party_chart(_summary("party", ["宁波大学"]), zh)
    image = Image.open(io.BytesIO(progress))
    assert image.text["Title"] == "Progress of □□"  # the name kept, its glyphs missing
    assert "Week (starting Monday)" in image.text["Description"]
    assert "Nov 2" in image.text["Description"]
    warnings = [r.getMessage() for r in caplog.records if "no font" in r.getMessage()]
    assert len(warnings) == 1 and "fonts-noto-cjk" in warnings[0]
    charts._say_glyphs_missing.cache_clear()
