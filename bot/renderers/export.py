"""The export workbook (XLSX) in the reader's language, for people: sheet names and headers
translated, dates as date cells, numbers rounded as they are read (scores to two decimals,
percentages to one, every share a percentage with `%` in its header), dimensions, party kinds,
statuses and yes/no in words.

The CSV archive (`bot.services.export.csv_zip`) has the same tables with the machine
identifiers (`tech_rd`, `university`, ISO dates, rates as fractions), so that it reads back
with `import-scores`; the workbook is what a coordinator opens."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from babel.lists import format_list
from babel.numbers import format_decimal

from bot import lazy
from bot.domain.capability import DIMS, shown_change
from bot.i18n import N_, Translator
from bot.renderers.reports import compliance_name, dimension_name, kind_name

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = lazy.load("numpy")
    pd = lazy.load("pandas")

XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
# Longer tables (a large cohort's scores, joint scores) go to the CSV archive only: a
# spreadsheet program opens them slowly if at all, and writing them took minutes.
SHEET_MAX_ROWS = 100_000

SHEETS = {
    "reports": N_("Weekly reports"),
    "scores": N_("Scores"),
    "joint_scores": N_("Joint scores"),
    "capability": N_("Capability"),
    "participation": N_("Participation"),
    "credits": N_("Credits"),
    "by_party": N_("Per party"),
    "by_site": N_("Per placement site"),
    "by_model": N_("Per collaboration model"),
    "reliability": N_("Scoring reliability"),
    "disagreements": N_("Disagreements"),
    "manual_versions": N_("Manual versions"),
    "score_history": N_("Earlier scores"),
    "mentors_below_share": N_("Mentors below the share"),
    "course_attendance": N_("Course attendance"),
    "demand": N_("Talent demand"),
    "course_reviews": N_("Course reviews"),
    "course_changes": N_("Course changes"),
    "programme_gaps": N_("Programme gaps"),
}

# A column's header and how its cells are written (see `_writer`).
COLUMNS: dict[str, tuple[str, str]] = {
    "name": (N_("Name"), "text"),
    "student": (N_("Telegram id"), "id"),
    "week": (N_("Week (starting Monday)"), "date"),
    "date": (N_("Date"), "date"),
    "iso_week": (N_("ISO week"), "text"),
    "status": (N_("Status"), "status"),
    "late": (N_("Late"), "yes_no"),
    "submitted_at": (N_("Submitted at (UTC)"), "datetime"),
    "hours": (N_("Hours"), "one_decimal"),
    "activities": (N_("Activities"), "text"),
    "cross_cultural_episode": (N_("Cross-cultural episode"), "text"),
    "rules_met": (N_("Rules met"), "rules"),
    "rules_note": (N_("Note on the rules"), "text"),
    "problems": (N_("Problems"), "text"),
    "party_kind": (N_("Kind of party"), "kind"),
    "dimension": (N_("Dimension"), "dimension"),
    "score": (N_("Score (points)"), "score"),
    "baseline": (N_("Baseline (points)"), "score"),
    "current": (N_("Current level (points)"), "score"),
    "points": (N_("Improvement (points)"), "score"),
    "percent": (N_("Improvement (%)"), "percent"),
    "weeks": (N_("Weeks assessed"), "count"),
    "weeks_expected": (N_("Weeks expected"), "count"),
    "reports_submitted": (N_("Reports submitted"), "count"),
    "sessions_held": (N_("Course sessions held"), "count"),
    "sessions_attended": (N_("Course sessions attended"), "count"),
    "participation_rate": (N_("Participation (%)"), "rate"),
    "full_months_abroad": (N_("Full months abroad"), "count"),
    "credits_earned": (N_("Credits earned"), "one_decimal"),
    "months_planned": (N_("Months planned"), "count"),
    "credits_planned": (N_("Credits planned"), "one_decimal"),
    "party": (N_("Party"), "text"),
    "site": (N_("Placement site"), "text"),
    "model": (N_("Collaboration model"), "model"),
    "students": (N_("Students"), "count"),
    "cronbach_alpha": (N_("Cronbach's alpha"), "score"),
    "low": (N_("Lowest score (points)"), "score"),
    "high": (N_("Highest score (points)"), "score"),
    "spread": (N_("Spread (points)"), "score"),
    "version": (N_("Manual version"), "count"),
    "manual_version": (N_("Manual version"), "count"),
    "created_at": (N_("Created at (UTC)"), "datetime"),
    "levels": (N_("Levels"), "text"),
    "completed_at": (N_("Scored at (UTC)"), "datetime"),
    "replaced_at": (N_("Replaced at (UTC)"), "datetime"),
    "mentor": (N_("Mentor"), "text"),
    "telegram_id": (N_("Telegram id"), "id"),
    "weeks_scored": (N_("Weeks scored"), "count"),
    "weeks_asked": (N_("Weeks to score"), "count"),
    "share": (N_("Share scored (%)"), "rate"),
    "least_share": (N_("Least share (%)"), "rate"),
    "course": (N_("Course module (key)"), "key"),
    "title": (N_("Title"), "text"),
    "phase": (N_("Phase"), "phase"),
    "session_start": (N_("Session starts (UTC)"), "datetime"),
    "minutes": (N_("Minutes"), "count"),
    "attended": (N_("Attended"), "yes_no"),
    "confirmed_by": (N_("Confirmed by"), "confirmer"),
    "credits": (N_("Credits"), "one_decimal"),
    "gap_start": (N_("Gap from (Monday)"), "date"),
    "gap_end": (N_("Gap to (Sunday)"), "date"),
    "gap_weeks": (N_("Weeks with no activity"), "count"),
    "warned_at": (N_("Warned at (UTC)"), "datetime"),
    "survey": (N_("Survey"), "count"),
    "answered_at": (N_("Answered at (UTC)"), "datetime"),
    "other_needs": (N_("Other needs"), "text"),
    "review": (N_("Review"), "count"),
    "relevance": (N_("Content relevance (1-5)"), "count"),
    "teaching": (N_("Teaching quality (1-5)"), "count"),
    "practice": (N_("Practical value (1-5)"), "count"),
    "organisation": (N_("Organisation (1-5)"), "count"),
    "change_requested": (N_("Change asked for"), "text"),
    "change": (N_("Change made"), "text"),
    "answers_requests": (N_("Answers the requests (numbers)"), "text"),
    "recorded_at": (N_("Recorded at (UTC)"), "datetime"),
}
FORMATS = {
    "id": "0",
    "count": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "score": "0.00",
    "percent": "0.0",
    "rate": "0.0",
    "one_decimal": "0.0",
}
STATUSES = {"submitted": N_("submitted"), "missing": N_("missing")}
PHASES = {"pre_departure": N_("pre-departure"), "course": N_("courses")}  # a course module's
CONFIRMERS = {"self": N_("the attendee")}  # else the Telegram id of who marked it


def sheet_name(sheet: str, t: Translator) -> str:
    """The sheet's name in the reader's language, as Excel allows it (31 characters, none
    of `[]:*?/\\`)."""
    name = t.gettext(SHEETS[sheet]) if sheet in SHEETS else sheet
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]


def header(column: str, t: Translator) -> str:
    if column in COLUMNS:
        return t.gettext(COLUMNS[column][0])
    if column in DIMS:  # the joint scores' columns
        return t.gettext("{dimension} (points)").format(dimension=dimension_name(column, t))
    if column.startswith("self_") and column[5:] in DIMS:
        return t.gettext("Self-assessment: {dimension}").format(
            dimension=dimension_name(column[5:], t)
        )
    return column


def in_language(frame: pd.DataFrame, t: Translator) -> pd.DataFrame:
    """A column written in both languages (`title_en` and `title_zh`, as the CSV keeps
    them) as one in the reader's (`title`), the English where there is no Chinese; the
    machine keys beside such a title (a course module's `data-security`) left to the CSV."""
    keys = [c for c in frame.columns if c in COLUMNS and COLUMNS[c][1] == "key"]
    frame = frame.drop(columns=keys)
    mine = "zh" if t.language == "zh" else "en"
    other = "en" if mine == "zh" else "zh"
    for column in list(frame.columns):
        base = str(column).removesuffix("_en")
        if base == column or f"{base}_zh" not in frame.columns:
            continue
        shown, fallback = frame[f"{base}_{mine}"], frame[f"{base}_{other}"]
        kept = shown.where(shown.notna() & (shown != ""), fallback)
        at = list(frame.columns).index(column)
        frame = frame.drop(columns=[f"{base}_en", f"{base}_zh"])
        frame.insert(at, base, kept)
    return frame


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):
        return False


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _moment(value: object) -> dt.datetime | None:
    """A naive UTC time (a spreadsheet has no time zones; the header says UTC)."""
    if not value:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _half_up(number: float, digits: int) -> float:
    """Rounded as people round (60.625 is 60.63), not as the binary float happens to."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(number)).quantize(step, ROUND_HALF_UP))


def _rounded(digits: int, scale: float = 1.0) -> Callable[[object], float | None]:
    def convert(value: object) -> float | None:
        number = float(value) * scale  # type: ignore[arg-type]
        return None if math.isnan(number) else _half_up(number, digits)

    return convert


def _adding_up(frame: pd.DataFrame) -> pd.DataFrame:
    """A table of baselines and current levels with its improvement worked out from the
    figures shown (two decimals), so that a reader's subtraction gives the figure beside
    it: 60.63 to 74.23 is 13.60 points, not the 13.61 of the unrounded levels."""
    if not {"baseline", "current", "points", "percent"} <= set(frame.columns) or frame.empty:
        return frame
    frame = frame.copy()
    points, percent = [], []
    for baseline, current in zip(frame["baseline"], frame["current"], strict=True):
        change = shown_change(float(baseline), float(current), digits=2)
        if change is None:
            points.append(math.nan)
            percent.append(math.nan)
            continue
        points.append(float(change.points))
        percent.append(
            float(change.points / change.baseline * 100) if change.baseline > 0 else math.nan
        )
    frame["points"], frame["percent"] = points, percent
    return frame


def _converter(kind: str, t: Translator) -> Callable[[Any], object]:
    """What a cell of this kind holds: a number, a date or a text in the reader's language."""
    converters: dict[str, Callable[[Any], object]] = {
        "id": int,
        "count": int,
        "date": _date,
        "datetime": _moment,
        "score": _rounded(2),
        "percent": _rounded(1),
        "rate": _rounded(1, 100.0),  # a share (0-1) as a percentage, as the header says
        "one_decimal": _rounded(1),
        "yes_no": lambda value: t.gettext("yes") if value else t.gettext("no"),
        "status": lambda value: t.gettext(STATUSES[str(value)]) if value in STATUSES else value,
        "phase": lambda value: t.gettext(PHASES[str(value)]) if value in PHASES else value,
        "confirmer": lambda value: t.gettext(CONFIRMERS[value]) if value in CONFIRMERS else value,
        "dimension": lambda value: dimension_name(str(value), t) if value in DIMS else value,
        "kind": lambda value: kind_name(str(value), t),
        "rules": lambda value: format_list(
            [compliance_name(key, t) for key in str(value).split()], locale=t.language
        ),
        "model": lambda value: t.ngettext(
            "{n} kind of party", "{n} kinds of party", int(value)
        ).format(n=int(value)),
        "text": lambda value: value,
    }
    return converters[kind]


ROUNDED = {"score": (2, 1.0), "percent": (1, 1.0), "rate": (1, 100.0), "one_decimal": (1, 1.0)}


def _cells(column: pd.Series, kind: str, t: Translator) -> list[Any]:
    """The column's cells as written, None where empty. Worked out per column, not per cell
    (a sheet has up to 100,000 rows): numbers rounded as arrays, and every other value
    converted once per distinct value."""
    if kind in ROUNDED and column.dtype.kind in "biuf":
        digits, scale = ROUNDED[kind]
        values = column.to_numpy(dtype="float64") * scale
        step = 10.0**digits
        # Half up, away from zero, as `_half_up`; the nudge takes 100.49999999999999
        # (1.005 * 100 in binary) to where the decimal number is.
        rounded = np.sign(values) * np.floor(np.abs(values) * step + 0.5 + 1e-7) / step
        return [None if math.isnan(v) else v for v in rounded.tolist()]
    convert = _converter(kind, t)

    def cell(value: object) -> object:
        return None if _missing(value) or value == "" else convert(value)

    if isinstance(column.dtype, pd.CategoricalDtype):
        table = [cell(value) for value in column.cat.categories] + [None]
        return [table[code] for code in column.cat.codes.tolist()]  # -1 (missing): None
    seen: dict[object, object] = {}
    out: list[Any] = []
    for value in column.tolist():
        try:
            found = seen[value]
        except KeyError:
            found = seen[value] = cell(value)
        except TypeError:  # not hashable
            found = cell(value)
        out.append(found)
    return out


def _writer(sheet: Any, kind: str) -> Callable[..., object]:
    """XlsxWriter's own writer for the kind's cells (`write` guesses the type per cell)."""
    if kind in {"date", "datetime"}:
        return sheet.write_datetime
    if kind in ROUNDED or kind in {"id", "count"}:
        return sheet.write_number
    return sheet.write


def _kind(column: str) -> str:
    if column in COLUMNS:
        return COLUMNS[column][1]
    return "score" if column in DIMS or column.removeprefix("self_") in DIMS else "text"


def workbook(
    sheets: Mapping[str, pd.DataFrame],
    t: Translator,
    max_rows: int = min(XLSX_MAX_ROWS, SHEET_MAX_ROWS),
) -> bytes:
    """The sheets as one workbook, written row by row to temporary files (XlsxWriter's
    constant-memory mode: about twice as fast as openpyxl's write-only mode on a cohort's
    tables, 3.6 s against 7.7 s). A table longer than `max_rows` is left to its CSV file,
    and its sheet says so."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "nan_inf_to_errors": True})
    formats = {kind: book.add_format({"num_format": code}) for kind, code in FORMATS.items()}
    bold = book.add_format({"bold": True})
    for name, bilingual in sheets.items():
        frame = in_language(bilingual, t)
        sheet = book.add_worksheet(sheet_name(name, t))
        if len(frame) > max_rows:
            rows = format_decimal(len(frame), locale=t.language)
            sheet.write_column(
                0,
                0,
                [
                    t.gettext("Note"),
                    t.gettext(
                        "{rows} rows: too many for a sheet; see {name}.csv in the CSV archive"
                    ).format(rows=rows, name=name),
                ],
            )
            continue
        frame = _adding_up(frame)
        columns = [str(column) for column in frame.columns]
        sheet.write_row(0, 0, [header(column, t) for column in columns], bold)
        kinds = [_kind(column) for column in columns]
        cells = [_cells(frame[column], kind, t) for column, kind in zip(frame, kinds, strict=True)]
        writers = [_writer(sheet, kind) for kind in kinds]
        cell_formats = [formats.get(kind) for kind in kinds]
        for at, (column, kind) in enumerate(zip(columns, kinds, strict=True)):
            wide = kind == "text" and column in {"name", "party", "site"}
            sheet.set_column(at, at, 28 if wide else 14 if kind != "text" else 18)
        sheet.freeze_panes(1, 0)
        at_columns = list(zip(range(len(columns)), cells, writers, cell_formats, strict=True))
        for number in range(len(frame)):
            for at, column_cells, write, cell_format in at_columns:
                cell = column_cells[number]
                if cell is not None:
                    write(number + 1, at, cell, cell_format)
    book.close()
    return buffer.getvalue()
