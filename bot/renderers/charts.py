"""Charts as PNG bytes (matplotlib's Agg backend, no display). Labels come translated from
the caller; when the reader's script has no font on this machine, English labels are used
instead of boxes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from bot import lazy

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy.load("pandas")


COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")


@cache
def _pyplot() -> object:
    import matplotlib

    matplotlib.use("Agg")
    # Names and titles are drawn as written: with math text on, `$...$` in a student's name
    # is parsed as TeX, and one matplotlib cannot read fails the whole chart.
    matplotlib.rcParams["text.parse_math"] = False
    # A CJK font found on the machine is the fallback after the default one (matplotlib falls
    # back glyph by glyph): without it, `has_cjk_font` lets Chinese labels through and
    # DejaVu Sans draws them as boxes, with a warning for each glyph.
    # (A generic family resolves to its first font only: the fonts are named.)
    if _cjk_fonts():
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", *_cjk_fonts()[:1]]
    import matplotlib.pyplot as plt

    return plt


@cache
def _cjk_fonts() -> list[str]:
    """The names of this machine's fonts for Chinese (Simplified first), in a stable order."""
    from matplotlib import font_manager

    names = {font.name for font in font_manager.fontManager.ttflist}
    keys = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "SimHei", "Source Han")
    found = sorted(name for name in names if any(key in name for key in keys))
    return sorted(found, key=lambda name: not name.endswith(("SC", "CN")))


def has_cjk_font() -> bool:
    return bool(_cjk_fonts())


def usable(label: str, fallback: str) -> str:
    """`label`, unless it needs a CJK font this machine lacks."""
    if any(ord(ch) > 0x2E80 for ch in label) and not has_cjk_font():
        return fallback
    return label


def _png(figure: object) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)  # type: ignore[attr-defined]
    _pyplot().close(figure)  # type: ignore[attr-defined]
    return buffer.getvalue()


def progress_chart(joint: pd.DataFrame, title: str, labels: Mapping[str, str]) -> bytes:
    """The joint score of each dimension per week (one line per dimension, 0-100)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 4))  # type: ignore[attr-defined]
    frame = joint.sort_values("week")
    for color, (dimension, label) in zip(COLORS, labels.items(), strict=False):
        series = frame[["week", dimension]].dropna()
        axes.plot(series["week"], series[dimension], marker="o", color=color, label=label)
    axes.set_ylim(0, 100)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.autofmt_xdate()
    figure.tight_layout()
    return _png(figure)


def grouped_bars(
    summary: pd.DataFrame, by: str, value: str, title: str, labels: Mapping[str, str]
) -> bytes:
    """One group of bars per `by` value, one bar per dimension."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 4))  # type: ignore[attr-defined]
    groups: Sequence[object] = sorted(summary[by].unique(), key=str)
    width = 0.8 / max(len(labels), 1)
    for i, (color, (dimension, label)) in enumerate(zip(COLORS, labels.items(), strict=False)):
        rows = summary[summary["dimension"] == dimension].set_index(by)
        values = [float(rows[value].get(g, float("nan"))) for g in groups]
        positions = [j + i * width for j in range(len(groups))]
        axes.bar(positions, values, width=width, color=color, label=label)
    axes.set_xticks([j + width for j in range(len(groups))], [str(g) for g in groups])
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_title(title)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return _png(figure)
