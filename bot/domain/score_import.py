"""Past assessments from a CSV file (`student,date,party_kind,dimension,score`): every bad
row is reported with its line, and a file with any problem imports nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import numbers
from bot.domain.kinds import PartyKind
from bot.domain.reports import DIMENSIONS

HEADER = ("student", "date", "party_kind", "dimension", "score")
MAX_ROWS = 2_000_000


class ScoreImportError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass(frozen=True)
class ScoreRow:
    line: int
    student: int  # Telegram id
    date: dt.date
    party_kind: PartyKind
    dimension: str
    score: Decimal  # up to two decimals: averages of past questionnaires (57.2)


def parse_scores_csv(text: str) -> tuple[list[ScoreRow], list[str]]:
    """The rows and the problems, each problem as `line N: what is wrong`."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        return [], [f"line 1: expected the header {','.join(HEADER)}"]
    rows: list[ScoreRow] = []
    problems: list[str] = []
    seen: dict[tuple[int, dt.date, str, str], int] = {}
    kinds = {kind.value for kind in PartyKind}
    dimensions = {d.value for d in DIMENSIONS}
    for line, fields in enumerate(reader, start=2):
        if not any(field.strip() for field in fields):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"line {line}: more than {MAX_ROWS} rows; split the file")
            break
        if len(fields) != len(HEADER):
            problems.append(f"line {line}: expected {len(HEADER)} fields, found {len(fields)}")
            continue
        student, date, kind, dimension, score = (field.strip() for field in fields)
        found = []
        telegram_id = numbers.telegram_id(student)
        if telegram_id is None:
            found.append(f"student {student!r} is not a Telegram id")
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            found.append(f"date {date!r} is not an ISO date such as 2026-09-07")
        if kind not in kinds:
            found.append(f"party_kind {kind!r} is not one of {', '.join(sorted(kinds))}")
        if dimension not in dimensions:
            found.append(f"dimension {dimension!r} is not one of {', '.join(sorted(dimensions))}")
        value = numbers.parse_decimal(score, Decimal(0), Decimal(100), places=2)
        if isinstance(value, numbers.NotANumber):
            found.append(f"score {score!r} is not a number from 0 to 100 with at most two decimals")
        if found or telegram_id is None or isinstance(value, numbers.NotANumber):
            problems.append(f"line {line}: " + "; ".join(found))
            continue
        key = (telegram_id, day, kind, dimension)
        if key in seen:
            problems.append(f"line {line}: repeats line {seen[key]}")
            continue
        seen[key] = line
        rows.append(ScoreRow(line, telegram_id, day, PartyKind(kind), dimension, value))
    return rows, problems
