"""Charts as PNG bytes (matplotlib's Agg backend, no display), every word in the reader's
language: titles, axis labels, legends and group labels come from the gettext catalog, and
dates from Babel in the reader's locale.

Chinese needs a CJK font. The set-up installs Debian's `fonts-noto-cjk`; matplotlib finds it by
family name (never by path) and falls back to it glyph by glyph after DejaVu Sans, so a
Chinese title beside a Latin name draws both. Where no CJK font is installed, a label that
needs one is drawn from the English catalog instead of as empty boxes, and the log says so
once (`python -m bot doctor` says so too)."""

from __future__ import annotations

import gettext
import io
import logging
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from babel.dates import format_skeleton

from bot import lazy
from bot.domain.capability import DIMS
from bot.i18n import Translator
from bot.renderers.reports import dimension_name

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
else:
    pd = lazy.load("pandas")

log = logging.getLogger(__name__)

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")
LATIN_FAMILY = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, Cyrillic; always there
# Fonts with Chinese glyphs, the preferred first: Debian's fonts-noto-cjk (Simplified Chinese
# shapes first), then what other systems ship.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
MAX_GROUPS = 12  # groups of bars on one chart; the rest are in /cohort's text and /export
WEEK_LABELS = 10  # at most this many dated ticks on a weekly chart


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    # Names and titles are drawn as written: with math text on, `$...$` in a student's name
    # is parsed as TeX, and one matplotlib cannot read fails the whole chart.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A figure whose texts take each glyph from the first chart font that has it (a list
    of families: matplotlib falls back from one to the next). Set for the process, not in
    an `rc_context`: the legend and the tick labels are made after this returns; every
    chart sets the same value."""
    plt = _pyplot()
    plt.rcParams["font.family"] = list(font_families())
    figure, axes = plt.subplots(figsize=(width, height), layout="constrained")
    return figure, axes


@cache
def _first_installed(families: tuple[str, ...]) -> str | None:
    from matplotlib import font_manager

    names = {font.name for font in font_manager.fontManager.ttflist}
    return next((family for family in families if family in names), None)


def cjk_font() -> str | None:
    """The family of the first CJK font matplotlib knows of, or None."""
    return _first_installed(CJK_FAMILIES)


def has_cjk_font() -> bool:
    return cjk_font() is not None


def font_families() -> tuple[str, ...]:
    """The families a chart draws with, in fallback order."""
    cjk = cjk_font()
    return (LATIN_FAMILY, cjk) if cjk else (LATIN_FAMILY,)


@cache
def _glyphs(families: tuple[str, ...]) -> frozenset[int]:
    """Every code point these fonts can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    covered: set[int] = set()
    for family in families:
        path = font_manager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )
        covered.update(FT2Font(path).get_charmap())
    return frozenset(covered)


def drawable(text: str) -> bool:
    """Whether the chart fonts have a glyph for every character of `text`."""
    glyphs = _glyphs(font_families())
    return all(ord(ch) in glyphs or ch.isspace() for ch in text)


@cache
def _say_glyphs_missing(language: str) -> None:
    """Logged once per language and process (the cache)."""
    log.warning(
        "charts: no font for the %r labels (tried %s); they are drawn in English. "
        "Install a CJK font, e.g. Debian's fonts-noto-cjk, and restart the bot",
        language,
        ", ".join(CJK_FAMILIES[:3]),
    )


_ENGLISH = Translator("en", gettext.NullTranslations())


def text(t: Translator, render: Callable[[Translator], str]) -> str:
    """`render(t)`, or the same from the English catalog when this machine has no font for
    the reader's script (logged once)."""
    said = render(t)
    if drawable(said):
        return said
    _say_glyphs_missing(t.language)
    return render(_ENGLISH)


def name(value: str) -> str:
    """A person's or party's name as written; a character no chart font has is shown as a
    box (drawn from DejaVu Sans, so matplotlib does not warn about a missing glyph)."""
    return "".join(ch if drawable(ch) or ch.isspace() else "\N{WHITE SQUARE}" for ch in value)


def wrap(value: str, width: int = 16) -> str:
    """`value` in lines of about `width` columns (a CJK character counts two): at spaces
    where there are any, and between characters in a name written without spaces."""
    lines: list[str] = []
    for word_line in textwrap.wrap(value, width, break_long_words=False) or [""]:
        line, used = "", 0
        for ch in word_line:
            columns = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            if used + columns > width and line:
                lines.append(line)
                line, used = "", 0
            line += ch
            used += columns
        lines.append(line)
    return "\n".join(lines)


def _png(figure: Figure) -> bytes:
    """The PNG, carrying its title and every word it shows as text (PNG `Title` and
    `Description`, UTF-8): a text version for whoever cannot see the image, and what the
    demo's test reads to check the words."""
    said = texts(figure)
    title = next((axes.get_title() for axes in figure.axes if axes.get_title()), "")
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=110,
        metadata={"Title": title, "Description": "\n".join(said), "Software": None},
    )
    _pyplot().close(figure)
    return buffer.getvalue()


def _labels(t: Translator) -> dict[str, str]:
    return {d: text(t, lambda tr, d=d: dimension_name(d, tr)) for d in DIMS}  # type: ignore[misc]


def _legend_below(figure: Figure, axes: Any) -> None:
    """The legend under the plot, clear of the data, one row."""
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)


def _day(day: object, t: Translator) -> str:
    """`11月2日`, `Nov 2`: a day of the month as the reader's locale writes it."""
    return format_skeleton("MMMd", day, locale=t.language)  # type: ignore[arg-type]


def progress_figure(joint: pd.DataFrame, student: str, t: Translator) -> Figure:
    """The joint score of each dimension per week (one line per dimension, 0-100)."""
    figure, axes = _figure(7.5, 4.6)
    frame = joint.assign(week=pd.to_datetime(joint["week"])).sort_values("week")
    weeks = list(pd.DatetimeIndex(frame["week"].unique()))
    for color, (dimension, label) in zip(COLORS, _labels(t).items(), strict=False):
        series = frame[["week", dimension]].dropna()
        axes.plot(series["week"], series[dimension], marker="o", color=color, label=label)
    # Weekly data, weekly ticks: one per week shown (every k-th when there are many).
    step = max(1, -(-len(weeks) // WEEK_LABELS))
    ticks = weeks[::step]
    axes.set_xticks(ticks, [text(t, partial(_day, week)) for week in ticks])
    axes.set_ylim(0, 100)
    axes.set_title(
        text(t, lambda tr: tr.gettext("Progress of {student}").format(student=name(student)))
    )
    axes.set_xlabel(text(t, lambda tr: tr.gettext("Week (starting Monday)")))
    axes.set_ylabel(text(t, lambda tr: tr.gettext("Joint score (points, 0–100)")))
    axes.grid(alpha=0.3)
    _legend_below(figure, axes)
    return figure


def progress_chart(joint: pd.DataFrame, student: str, t: Translator) -> bytes:
    return _png(progress_figure(joint, student, t))


def _grouped_bars(
    summary: pd.DataFrame,
    by: str,
    value: str,
    group_label: Callable[[object, int], str],
    t: Translator,
) -> tuple[Figure, Any]:
    """One group of bars per `by` value (the first MAX_GROUPS by name), one bar per
    dimension, each bar labelled with its value."""
    groups: Sequence[object] = sorted(summary[by].unique(), key=str)
    shown = groups[:MAX_GROUPS]
    figure, axes = _figure(min(14.0, max(7.5, 1.5 * len(shown))), 4.8)
    labels = _labels(t)
    width = 0.8 / max(len(labels), 1)
    for i, (color, (dimension, label)) in enumerate(zip(COLORS, labels.items(), strict=False)):
        rows = summary[summary["dimension"] == dimension].set_index(by)
        values = [float(rows[value].get(g, float("nan"))) for g in shown]
        positions = [j + i * width for j in range(len(shown))]
        bars = axes.bar(positions, values, width=width, color=color, label=label)
        axes.bar_label(bars, fmt="{:.1f}", fontsize=7, padding=2)
    students = summary.groupby(by)["students"].max()
    centres = [j + width * (len(labels) - 1) / 2 for j in range(len(shown))]
    # Room for at least three groups, so that one or two groups are not a wall of colour.
    pad = 0.5 + max(0, 3 - len(shown)) / 2
    axes.set_xlim(centres[0] - pad, centres[-1] + pad)
    axes.set_xticks(
        centres,
        [group_label(g, int(students.get(g, 0))) for g in shown],
        fontsize=8,
    )
    axes.axhline(0, color="black", linewidth=0.6)
    axes.grid(axis="y", alpha=0.3)
    axes.margins(y=0.12)  # room for the value labels above the highest bar
    if len(groups) > len(shown):
        more = len(groups) - len(shown)
        figure.supxlabel(
            text(t, lambda tr: tr.gettext("… and {n} more (see /export)").format(n=more)),
            fontsize=8,
        )
    _legend_below(figure, axes)
    return figure, axes


def _with_students(label: str, students: int, t: Translator) -> str:
    count = text(
        t, lambda tr: tr.ngettext("({n} student)", "({n} students)", students).format(n=students)
    )
    return f"{label}\n{count}"


def party_figure(by_party: pd.DataFrame, t: Translator) -> Figure:
    """The current level of each dimension, averaged over the students each party mentored."""
    figure, axes = _grouped_bars(
        by_party,
        "party",
        "current",
        lambda party, n: _with_students(wrap(name(str(party))), n, t),
        t,
    )
    axes.set_ylim(0, 100)
    axes.set_title(text(t, lambda tr: tr.gettext("Current level per party")))
    axes.set_ylabel(text(t, lambda tr: tr.gettext("Current level (points, 0–100)")))
    return figure


def model_figure(by_model: pd.DataFrame, t: Translator) -> Figure:
    """The improvement since the baseline per collaboration model (how many kinds of party
    scored the student), in points."""

    def kinds(model: object, n: int) -> str:
        count = int(model)  # type: ignore[call-overload]
        label = text(
            t,
            lambda tr: tr.ngettext("{n} kind of party", "{n} kinds of party", count).format(
                n=count
            ),
        )
        return _with_students(label, n, t)

    figure, axes = _grouped_bars(by_model, "model", "points", kinds, t)
    axes.set_title(text(t, lambda tr: tr.gettext("Improvement per collaboration model")))
    axes.set_ylabel(text(t, lambda tr: tr.gettext("Improvement since the baseline (points)")))
    return figure


def party_chart(by_party: pd.DataFrame, t: Translator) -> bytes:
    return _png(party_figure(by_party, t))


def model_chart(by_model: pd.DataFrame, t: Translator) -> bytes:
    return _png(model_figure(by_model, t))


def texts(figure: Figure) -> list[str]:
    """Every non-empty text the figure draws (titles, labels, ticks within the axes' limits,
    legend), in drawing order: the PNG's description, and what tests read."""
    from matplotlib.text import Text

    figure.canvas.draw()
    outside: set[int] = set()  # tick labels matplotlib keeps but does not draw
    for axes in figure.axes:
        for limits, ticks, labels in (
            (axes.get_xlim(), axes.get_xticks(), axes.get_xticklabels()),
            (axes.get_ylim(), axes.get_yticks(), axes.get_yticklabels()),
        ):
            low, high = sorted(limits)
            outside.update(
                id(label)
                for tick, label in zip(ticks, labels, strict=False)
                if not low <= tick <= high
            )
    return [
        item.get_text()
        for item in figure.findobj(Text)
        if item.get_text().strip() and item.get_visible() and id(item) not in outside
    ]
