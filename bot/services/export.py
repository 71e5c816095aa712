"""The coordinators' export: raw reports, scores and every aggregate as tables, written as
CSV files in a ZIP here and as a workbook in the reader's language by
`bot.renderers.export`. The CSV columns use the stable identifiers (`tech_rd`, `university`,
Telegram ids, ISO dates), so that a file can be read back or joined with others."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import operator
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot import lazy
from bot.domain.capability import DIMS
from bot.domain.courses import attended_credits
from bot.domain.reports import week_label
from bot.domain.survey import QUESTION_KEYS
from bot.domain.time import local_today
from bot.services import courses, pace, survey
from bot.services.analytics import Cohort, credits_of
from bot.services.context import ServiceContext
from db.models import WeeklyReport
from db.repositories import Repos

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    np = lazy.load("numpy")
    pd = lazy.load("pandas")


def tables(
    cohort: Cohort, reports: list[WeeklyReport], now: dt.datetime
) -> dict[str, pd.DataFrame]:
    """Every sheet of the export, by name."""
    people = {sid: info.person for sid, info in cohort.students.items() if info.person}
    on_record = pd.Index(list(people), dtype="int64")
    # The last entry stands for a student no longer on record: no name, Telegram id 0.
    names = pd.Categorical([person.name or "" for person in people.values()] + [""])
    telegram_ids = np.array([person.telegram_id for person in people.values()] + [0], dtype="int64")

    def identify(frame: pd.DataFrame) -> pd.DataFrame:
        """The person's name first, and the Telegram id for the student's internal id; by
        position, so that the scores' millions of rows cost two array lookups."""
        at = on_record.get_indexer(pd.Index(frame["student"]))
        at[at < 0] = len(people)
        frame = frame.copy()
        frame.insert(0, "name", pd.Series(names.take(at), index=frame.index))
        frame["student"] = telegram_ids[at]
        return frame

    report_rows = [
        {
            "student": r.student_id,
            "week": r.week.isoformat(),
            "iso_week": week_label(r.week),
            "status": r.status.value,
            "late": r.late,
            "submitted_at": r.submitted_at.isoformat() if r.submitted_at else "",
            "hours": r.hours,
            "activities": r.activities or "",
            "cross_cultural_episode": r.episode or "",
            "rules_met": " ".join(r.compliance or []),
            "rules_note": r.compliance_note or "",
            "problems": r.problems or "",
            **{f"self_{d}": getattr(r, f"self_{d}") for d in DIMS},
        }
        for r in reports
    ]
    scores = _long_scores(cohort.scores)
    joint = cohort.joint.copy()
    if not joint.empty:
        joint["week"] = pd.to_datetime(joint["week"]).dt.date.astype(str)
    taking_part = pd.DataFrame(
        [
            {
                "student": sid,
                "weeks_expected": p.expected,
                "reports_submitted": p.submitted,
                "late": p.late,
                "sessions_held": p.sessions,
                "sessions_attended": p.attended,
                "participation_rate": p.rate,
            }
            for sid, p in sorted(cohort.participation.items())
        ],
        columns=[
            "student",
            "weeks_expected",
            "reports_submitted",
            "late",
            "sessions_held",
            "sessions_attended",
            "participation_rate",
        ],
    )
    credit_rows = []
    for sid, info in sorted(cohort.students.items()):
        credits = credits_of(info, local_today(now, info.zone), cohort.rules.credits_per_month)
        credit_rows.append(
            {
                "student": sid,
                "full_months_abroad": credits.months,
                "credits_earned": float(credits.earned),
                "months_planned": credits.planned_months,
                "credits_planned": float(credits.planned),
            }
        )
    reliability = pd.DataFrame(
        [{"dimension": d, "cronbach_alpha": a} for d, a in cohort.reliability.items()]
    )
    flagged = cohort.flagged.copy()
    if not flagged.empty:
        flagged["week"] = pd.to_datetime(flagged["week"]).dt.date.astype(str)
    return {
        "reports": identify(pd.DataFrame(report_rows, columns=_REPORT_COLUMNS)),
        "scores": identify(scores),
        "joint_scores": identify(joint) if not joint.empty else joint,
        "capability": identify(cohort.capability)
        if not cohort.capability.empty
        else cohort.capability,
        "participation": identify(taking_part),
        "credits": identify(pd.DataFrame(credit_rows, columns=_CREDIT_COLUMNS)),
        "by_party": cohort.by_party,
        "by_site": cohort.by_site,
        "by_model": cohort.by_model,
        "reliability": reliability,
        "disagreements": identify(flagged) if not flagged.empty else flagged,
    }


async def every_table(ctx: ServiceContext, cohort: Cohort) -> dict[str, pd.DataFrame]:
    """Every table of /export (and the Mini App's download): the cohort's, the manual's and
    the courses'."""
    reports = list(await ctx.repos.reports.submitted())
    return {
        **tables(cohort, reports, ctx.now),
        **await manual_tables(ctx.repos, cohort),
        **await course_tables(ctx),
    }


async def course_tables(ctx: ServiceContext) -> dict[str, pd.DataFrame]:
    """The sheets of courses and training pace: attendance per session and attendee, the
    gaps in students' programmes, the demand surveys' answers, the modules' reviews and the
    changes recorded against them."""
    attendance = await _attendance_rows(ctx.repos)
    gaps = await pace.gap_rows(ctx)
    surveyed = await survey.export_rows(ctx.repos)
    return {
        "course_attendance": pd.DataFrame(attendance, columns=_ATTENDANCE_COLUMNS),
        "programme_gaps": pd.DataFrame(gaps, columns=_GAP_COLUMNS),
        # A survey's skills are its own columns (1: ticked), so the sheet's columns vary.
        **{
            name: pd.DataFrame(rows) if rows else pd.DataFrame(columns=_SURVEY_COLUMNS[name])
            for name, rows in surveyed.items()
        },
    }


_SURVEY_COLUMNS = {
    "demand": ["survey", "party", "answered_at", "other_needs"],
    "course_reviews": [
        "review",
        "course",
        "title_en",
        "title_zh",
        "party",
        *QUESTION_KEYS,
        "change_requested",
        "answered_at",
    ],
    "course_changes": [
        "course",
        "title_en",
        "title_zh",
        "change",
        "answers_requests",
        "recorded_at",
    ],
}


async def _attendance_rows(repos: Repos) -> list[dict[str, Any]]:
    """/export's sheet: every session and each of its attendees, attended or not (None: not
    recorded), with the credits it earned them."""
    roster = await courses.Roster.load(repos, every_audience=True)
    modules = {c.id: c for c in await repos.courses.all()}
    people = {p.id: p for p in await repos.people.all()}
    rows = []
    for session in await repos.courses.sessions():
        course = modules[session.course_id]
        marked = await repos.courses.attendance(session.id)
        rate = Decimal(course.credits_per_hour)
        for person in await roster.of(repos, session):
            mark = marked.get(person.id)
            attended = mark.present if mark else None
            by = people.get(mark.marked_by_id) if mark and mark.marked_by_id else None
            confirmed_by = "" if by is None else by.telegram_id
            rows.append(
                {
                    "course": course.key,
                    "title_en": course.title_en,
                    "title_zh": course.title_zh,
                    "phase": course.phase.value,
                    "session_start": session.starts_at.isoformat(),
                    "minutes": session.minutes,
                    "student": person.telegram_id,
                    "name": person.name or "",
                    "attended": attended,
                    "confirmed_by": "self"
                    if by is not None and by.id == person.id
                    else confirmed_by,
                    "credits": float(attended_credits(session.minutes, rate)) if attended else 0.0,
                }
            )
    return rows


_ATTENDANCE_COLUMNS = [
    "course",
    "title_en",
    "title_zh",
    "phase",
    "session_start",
    "minutes",
    "student",
    "name",
    "attended",
    "confirmed_by",
    "credits",
]
_GAP_COLUMNS = ["student", "name", "gap_start", "gap_end", "gap_weeks", "warned_at"]


_REPORT_COLUMNS = [
    "student",
    "week",
    "iso_week",
    "status",
    "late",
    "submitted_at",
    "hours",
    "activities",
    "cross_cultural_episode",
    "rules_met",
    "rules_note",
    "problems",
    *(f"self_{d}" for d in DIMS),
]
_CREDIT_COLUMNS = [
    "student",
    "full_months_abroad",
    "credits_earned",
    "months_planned",
    "credits_planned",
]


def _long_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per score (student, date, party kind, dimension, score), ordered by those
    columns, as `import-scores` reads it back. Built from the assessment rows with array
    operations (a cohort has millions of scores), the text columns as categoricals."""
    dims = sorted(DIMS)  # a row's scores in the order the dimension column sorts
    wide = scores.sort_values(["student", "week", "party_kind"], kind="stable")
    values = wide[dims].to_numpy(dtype="float64").reshape(-1)  # row by row, dims within
    given = ~np.isnan(values)
    row = np.repeat(np.arange(len(wide)), len(dims))[given]
    weeks = pd.Categorical(wide["week"])
    kinds = pd.Categorical(wide["party_kind"])
    return pd.DataFrame(
        {
            "student": wide["student"].to_numpy(dtype="int64")[row],
            "date": pd.Categorical.from_codes(
                weeks.codes[row], categories=pd.DatetimeIndex(weeks.categories).strftime("%Y-%m-%d")
            ),
            "party_kind": pd.Categorical.from_codes(kinds.codes[row], categories=kinds.categories),
            "dimension": pd.Categorical.from_codes(
                np.tile(np.arange(len(dims)), len(wide))[given], categories=pd.Index(dims)
            ),
            "score": _scores(values[given]),
        }
    )


def _scores(values: np.ndarray) -> np.ndarray:
    """Whole numbers as integers (`70`, as the bot's own scores are), and otherwise the two
    decimals an imported score may have (`57.2`): `import-scores` reads either back."""
    rounded = values.round(2)
    return rounded.astype("int64") if (rounded == np.floor(rounded)).all() else rounded


_HISTORY_COLUMNS = ["name", "student", "week", "party_kind", *DIMS, "manual_version"]
_HISTORY_COLUMNS += ["completed_at", "replaced_at"]
_BELOW_COLUMNS = ["mentor", "telegram_id", "party", "weeks_scored", "weeks_asked", "share"]
_BELOW_COLUMNS += ["least_share"]


async def manual_tables(repos: Repos, cohort: Cohort) -> dict[str, pd.DataFrame]:
    """The assessment manual's versions, the scores a re-scoring under a newer version
    replaced (with the version they were given under), and the mentors below the least
    share of weeks scored."""
    versions = pd.DataFrame(
        [
            {
                "version": row.version,
                "created_at": row.created_at.isoformat(),
                **{
                    f"levels_{lang}": " ".join(
                        f"{lv['min']}:{lv['name'].get(lang) or lv['name']['en']}"
                        for lv in row.content["levels"]
                    )
                    for lang in ("en", "zh")
                },
            }
            for row in await repos.manual.all()
        ],
        columns=["version", "created_at", "levels_en", "levels_zh"],
    )
    students = {sid: info.person for sid, info in cohort.students.items() if info.person}
    history = pd.DataFrame(
        [
            {
                "name": (students[h.student_id].name or "") if h.student_id in students else "",
                "student": students[h.student_id].telegram_id if h.student_id in students else 0,
                "week": h.week.isoformat(),
                "party_kind": h.party_kind.value,
                **{d: getattr(h, d) for d in DIMS},
                "manual_version": h.manual_version,
                "completed_at": h.completed_at.isoformat() if h.completed_at else "",
                "replaced_at": h.replaced_at.isoformat(),
            }
            for h in await repos.manual.history()
        ],
        columns=_HISTORY_COLUMNS,
    )
    below = pd.DataFrame(
        [
            {
                "mentor": item.mentor.name or "",
                "telegram_id": item.mentor.telegram_id,
                "party": item.party.name if item.party else "",
                "weeks_scored": item.found.scored,
                "weeks_asked": item.found.due,
                "share": item.found.share,
                "least_share": item.least / 100,
            }
            for item in cohort.mentors_below
        ],
        columns=_BELOW_COLUMNS,
    )
    return {"manual_versions": versions, "score_history": history, "mentors_below_share": below}


def csv_zip(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    # Level 1: a cohort's scores compress about 6 times faster than at the default level 6,
    # into a file about a third larger (21 MiB of CSV: 0.12 s to 4.4 MiB, against 0.69 s
    # to 3.3 MiB).
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, frame in sheets.items():
            with archive.open(f"{name}.csv", "w") as member:
                for text in csv_chunks(frame):
                    member.write(text.encode())
    return buffer.getvalue()


CSV_CHUNK_ROWS = 1 << 18
_LABELS_PER_GROUP = 1 << 16


def csv_chunks(frame: pd.DataFrame, rows: int = CSV_CHUNK_ROWS) -> Iterator[str]:
    """`frame.to_csv(index=False)`, in pieces of `rows` rows, written column by column.

    Each column is factorized once and each distinct value formatted once, as `to_csv`
    formats it; adjacent columns with few distinct values together (a date, a party kind, a
    dimension, a score) share one table of labels. A row is then a few array lookups and
    string joins, not a Python call per cell: a cohort's 6 million scores are written in a
    fraction of the time `to_csv` takes. A frame this does not cover (a single column, a
    date or time column) goes to `to_csv`."""
    if frame.shape[1] < 2 or not all(_plain(frame[column]) for column in frame.columns):
        yield frame.to_csv(index=False)
        return
    yield ",".join(_quote(str(column)) for column in frame.columns) + "\n"
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    codes, labels = _factorized(frame.iloc[:, 0])
    for column in list(frame.columns)[1:]:
        more_codes, more_labels = _factorized(frame[column])
        more_labels = ["," + label for label in more_labels]
        if len(labels) * len(more_labels) <= _LABELS_PER_GROUP:
            codes = codes * len(more_labels) + more_codes
            labels = [left + right for left in labels for right in more_labels]
        else:
            groups.append((codes, np.array(labels, dtype=object)))
            codes, labels = more_codes, more_labels
    groups.append((codes, np.array([label + "\n" for label in labels], dtype=object)))
    for start in range(0, len(frame), rows):
        lines = functools.reduce(
            operator.add, (table[at[start : start + rows]] for at, table in groups)
        )
        yield "".join(lines.tolist())


def _plain(column: pd.Series) -> bool:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return isinstance(dtype, pd.StringDtype) or dtype.kind in "biufO"


def _factorized(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """A code per row and the text of each code, as `to_csv` writes it (an empty field for a
    missing value, which gets the last code)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype("int64")
        distinct = column.cat.categories
    else:
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
        codes = codes.astype("int64")
    codes[codes < 0] = len(distinct)
    if distinct.dtype.kind == "f":  # numpy's shortest round-trip text, as pandas writes
        texts = list(np.asarray(distinct).astype(str))
    else:
        texts = [_quote(str(value)) for value in distinct]
    return codes, [*texts, ""]


def _quote(text: str) -> str:
    """A field as pandas' csv writer writes it (the csv module's minimal quoting, rows ending
    in a newline), asked of that writer itself."""
    if not text:
        return text
    field = io.StringIO()
    csv.writer(field, lineterminator="\n").writerow([text])
    return field.getvalue()[:-1]
