"""Capability analytics at scale: 10,000 students, 52 weekly scores from four parties on three
dimensions (6.24 million scores, 2.08 million assessment rows).

Each case runs in a fresh process, so that its peak memory (ru_maxrss) is its own:
- "aggregates": the cohort's figures with pandas (`bot.domain.capability`): joint scores,
  baseline/current/improvement, disagreements, collaboration models, Cronbach's alpha and the
  summaries per site and per model.
- "plain Python": the same joint scores and baseline/current/improvement with dicts and loops,
  the baseline this project would have written without pandas.
- "load from SQLite": the assessment rows read by `bot.services.analytics.load_scores` from a
  database file holding them (the path /cohort takes before computing), and in the same
  database `/progress` for single students (`bot.services.analytics.progress`: their
  placement, scores, joint scores, capability, participation and credits), and then an
  /export of the whole cohort (`bot.services.analytics.cohort`, `bot.services.export`: the
  tables, the XLSX workbook and the CSV archive, everything but the upload).

`python -m benchmarks.analytics` prints a table; `benchmarks.run` includes it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import sqlite3  # the annotation only: the load case imports it where it runs

STUDENTS, WEEKS, KINDS = 10_000, 52, ("university", "enterprise", "research", "overseas_site")
DIMS = ("tech_rd", "cross_cultural", "rule_adaptation")
TARGET_SECONDS, TARGET_BYTES = 3.0, 2 * 1024**3
PROGRESS_TARGET = 0.050  # seconds of database and computing time for one student
PROGRESS_SAMPLE = 25
EXPORT_TARGET = 30.0  # seconds for an /export of the whole cohort, before the upload


def cohort_frame(students: int = STUDENTS, weeks: int = WEEKS) -> pd.DataFrame:
    """Scores that grow over the year with noise, one row per student, week and party kind."""
    rng = np.random.default_rng(7)
    n = students * weeks * len(KINDS)
    student = np.repeat(np.arange(1, students + 1), weeks * len(KINDS))
    week_index = np.tile(np.repeat(np.arange(weeks), len(KINDS)), students)
    mondays = pd.Timestamp("2025-09-01") + pd.to_timedelta(week_index * 7, unit="D")
    frame = pd.DataFrame(
        {
            "student": student.astype("int64"),
            "week": mondays,
            "party_kind": np.tile(np.array(KINDS, dtype=object), students * weeks),
        }
    )
    start = rng.normal(55, 8, students)[student - 1]
    for dim in DIMS:
        growth = week_index * 0.5 + rng.normal(0, 6, n)
        frame[dim] = np.clip(np.round(start + growth), 0, 100)
    return frame


def insert_assessments(connection: sqlite3.Connection, frame: pd.DataFrame) -> None:
    """The cohort's scores as assessment rows, straight into a migrated SQLite file that
    already holds its students."""
    weeks = frame["week"].dt.strftime("%Y-%m-%d").tolist()
    connection.executemany(
        "INSERT INTO assessment (student_id, week, party_kind, tech_rd, cross_cultural, "
        "rule_adaptation, source, completed_at) VALUES (?, ?, ?, ?, ?, ?, 'import', ?)",
        (
            (s, w, k, int(a), int(b), int(c), w + " 00:00:00.000000")
            for s, w, k, a, b, c in zip(
                frame["student"].tolist(),
                weeks,
                frame["party_kind"].tolist(),
                frame["tech_rd"].tolist(),
                frame["cross_cultural"].tolist(),
                frame["rule_adaptation"].tolist(),
                strict=True,
            )
        ),
    )


def run_aggregates(frame: pd.DataFrame) -> dict[str, Any]:
    from bot.domain.capability import (
        ModelRules,
        capability,
        collaboration_models,
        disagreements,
        group_summary,
        joint_scores,
        scoring_reliability,
    )

    rules = ModelRules(baseline_weeks=2, current_weeks=4)
    started = time.perf_counter()
    joint = joint_scores(frame, rules)
    cap = capability(joint, rules)
    flagged = disagreements(frame, rules)
    models = collaboration_models(frame).reset_index()
    by_model = group_summary(cap, models, "model")
    sites = pd.DataFrame({"student": models["student"], "site": models["student"] % 40})
    by_site = group_summary(cap, sites, "site")
    alpha = scoring_reliability(frame)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": len(frame),
        "check": round(float(cap["points"].mean()), 3),
        "flagged": len(flagged),
        "alpha_tech_rd": round(alpha["tech_rd"] or 0, 3),
        "groups": len(by_model) + len(by_site),
    }


def run_plain(frame: pd.DataFrame) -> dict[str, Any]:
    """Joint scores and baseline/current/improvement with dicts and loops."""
    records = list(
        zip(
            frame["student"].tolist(),
            frame["week"].tolist(),
            *(frame[d].tolist() for d in DIMS),
            strict=True,
        )
    )
    started = time.perf_counter()
    sums: dict[tuple[int, Any], list[float]] = {}
    for student, week, *values in records:
        acc = sums.setdefault((student, week), [0.0] * 6)
        for i, value in enumerate(values):
            if value == value:  # not NaN
                acc[i] += value
                acc[3 + i] += 1
    per_student: dict[int, list[tuple[Any, list[float]]]] = {}
    for (student, week), acc in sums.items():
        joint = [acc[i] / acc[3 + i] if acc[3 + i] else float("nan") for i in range(3)]
        per_student.setdefault(student, []).append((week, joint))
    improvements = []
    for rows in per_student.values():
        rows.sort(key=lambda r: r[0])
        for i in range(3):
            series = [r[1][i] for r in rows if r[1][i] == r[1][i]]
            baseline = sum(series[:2]) / len(series[:2])
            current = sum(series[-4:]) / len(series[-4:])
            improvements.append(current - baseline)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": len(records),
        "check": round(sum(improvements) / len(improvements), 3),
    }


def run_load(frame: pd.DataFrame) -> dict[str, Any]:
    """Write the rows as assessments into a SQLite file, then time `load_scores` reading them."""
    import sqlite3

    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.services.analytics import load_scores, progress
    from db.engine import Database
    from db.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scores.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"

        async def migrate() -> None:
            engine = create_async_engine(url)
            await upgrade(engine)
            await engine.dispose()

        asyncio.run(migrate())
        connection = sqlite3.connect(path)
        connection.executemany(
            "INSERT INTO person (id, telegram_id, can_message) VALUES (?, ?, 0)",
            [(i, 10_000_000 + i) for i in range(1, int(frame["student"].max()) + 1)],
        )
        insert_assessments(connection, frame)
        # Every student is placed at one site for the year, as /progress needs.
        placed = int(frame["student"].max())
        connection.execute(
            "INSERT INTO party (id, key, name, kind, created_at, updated_at) VALUES "
            "(1, 'site', 'Site', 'overseas_site', '2026-01-01', '2026-01-01')"
        )
        connection.executemany(
            "INSERT INTO placement (student_id, site_id, start_date, end_date, created_at, "
            "updated_at) VALUES (?, 1, '2025-01-06', '2025-12-28', '2026-01-01', '2026-01-01')",
            [(i,) for i in range(1, placed + 1)],
        )
        connection.commit()
        connection.close()

        async def load() -> tuple[float, int, list[float]]:
            database = Database.from_url(url)
            started = time.perf_counter()
            async with database.transaction() as repos:
                loaded = await load_scores(repos)
            seconds = time.perf_counter() - started
            del loaded_frame[:]
            loaded_frame.append(len(loaded))
            del loaded
            progress_times = []
            now = dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
            students = np.random.default_rng(7).integers(1, placed + 1, PROGRESS_SAMPLE + 1)
            for number, student in enumerate(students):
                begun = time.perf_counter()
                async with database.transaction() as repos:
                    found = await progress(repos, int(student), now, "UTC")
                assert found is not None and not found.joint.empty
                if number:  # the first warms the connection and the imports
                    progress_times.append(time.perf_counter() - begun)
            export_seconds, export_bytes = await _export(database, now)
            await database.dispose()
            return seconds, loaded_frame[0], progress_times, export_seconds, export_bytes

        loaded_frame: list[int] = []
        seconds, rows, progress_times, export_seconds, export_bytes = asyncio.run(load())
    return {
        "seconds": seconds,
        "rows": rows,
        "progress": progress_times,
        "export_seconds": export_seconds,
        "export_bytes": export_bytes,
    }


async def _export(database: Any, now: dt.datetime) -> tuple[float, int]:
    """What /export does before it uploads: the cohort from the database, its tables, the
    workbook and the CSV archive (built side by side, as the handler builds them)."""
    from bot.i18n import Translations
    from bot.renderers.export import workbook as export_workbook
    from bot.services import analytics, export

    chinese = Translations.load().for_language("zh")  # the longer headers, the same cells
    started = time.perf_counter()
    async with database.transaction() as repos:
        found = await analytics.cohort(repos, now, "UTC")
        reports = list(await repos.reports.submitted())
    sheets = export.tables(found, reports, now)
    book, archive = await asyncio.gather(
        asyncio.to_thread(export_workbook, sheets, chinese),
        asyncio.to_thread(export.csv_zip, sheets),
    )
    return time.perf_counter() - started, len(book) + len(archive)


CASES = {"aggregates": run_aggregates, "plain": run_plain, "load": run_load}


def _child(case: str, students: int) -> None:
    frame = cohort_frame(students)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = CASES[case](frame)
    result["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["frame_bytes"] = before
    print(json.dumps(result))


def measure(case: str, students: int = STUDENTS) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.analytics",
            "--child",
            case,
            "--students",
            str(students),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def report(students: int = STUDENTS) -> str:
    ours = measure("aggregates", students)
    plain = measure("plain", students)
    load = measure("load", students)
    scores = ours["rows"] * len(DIMS)
    mib = 1024**2
    lines = [
        "| analytics case | assessment rows | scores | seconds | peak memory (MiB) |",
        "|---|---|---|---|---|",
        f"| cohort aggregates, ours (pandas) | {ours['rows']} | {scores} | "
        f"{ours['seconds']:.2f} | {ours['peak_bytes'] / mib:.0f} |",
        f"| joint + improvement only, baseline (plain Python) | {plain['rows']} | {scores} | "
        f"{plain['seconds']:.2f} | {plain['peak_bytes'] / mib:.0f} |",
        f"| load the rows from SQLite (load_scores) | {load['rows']} | {scores} | "
        f"{load['seconds']:.2f} | {load['peak_bytes'] / mib:.0f} |",
    ]
    same = abs(ours["check"] - plain["check"]) < 1e-6
    holds = ours["seconds"] < TARGET_SECONDS and ours["peak_bytes"] < TARGET_BYTES and same
    lines += [
        "",
        f"target (aggregates over {scores:,} scores in under {TARGET_SECONDS:.0f} s and 2 GB, "
        f"same mean improvement as the baseline): {'HOLDS' if holds else 'MISSED'} "
        f"({ours['seconds']:.2f} s, {ours['peak_bytes'] / mib:.0f} MiB; "
        f"{plain['seconds'] / ours['seconds']:.1f}x faster than plain Python, which computes "
        f"less; mean improvement {ours['check']} vs {plain['check']})",
    ]
    times = sorted(load["progress"])
    median, worst = statistics.median(times), times[-1]
    lines += [
        "",
        "| /progress case | students timed | median ms | slowest ms |",
        "|---|---|---|---|",
        f"| one student of the {students:,}-student cohort (SQLite) | {len(times)} | "
        f"{median * 1000:.1f} | {worst * 1000:.1f} |",
        "",
        f"target (/progress for one student in under {PROGRESS_TARGET * 1000:.0f} ms of "
        f"database and computing time): {'HOLDS' if median < PROGRESS_TARGET else 'MISSED'} "
        f"(median {median * 1000:.1f} ms, slowest {worst * 1000:.1f} ms)",
    ]
    export_seconds = load["export_seconds"]
    lines += [
        "",
        "| /export case | scores | seconds | files (MiB) |",
        "|---|---|---|---|",
        f"| the {students:,}-student cohort: read, aggregate, workbook and CSV (SQLite) | "
        f"{scores} | {export_seconds:.1f} | {load['export_bytes'] / mib:.0f} |",
        "",
        f"target (an /export of that cohort in under {EXPORT_TARGET:.0f} s): "
        f"{'HOLDS' if export_seconds < EXPORT_TARGET else 'MISSED'} ({export_seconds:.1f} s)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analytics")
    parser.add_argument("--child", choices=sorted(CASES))
    parser.add_argument("--students", type=int, default=STUDENTS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child, arguments.students)
    else:
        print(report(arguments.students))
