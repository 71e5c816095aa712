"""Loading past assessments: checked against the consortium, applied all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.reports import week_of
from bot.domain.score_import import ScoreImportError, ScoreRow, parse_scores_csv
from db.models import Assessment, PartyKind, Role
from db.repositories import Repos


@dataclass(frozen=True)
class ScoreImport:
    scores: int
    created: int
    updated: int

    def summary(self) -> str:
        return (
            f"{self.scores} scores imported: {self.created} assessments created, "
            f"{self.updated} updated"
        )


async def import_scores(repos: Repos, text: str) -> ScoreImport:
    """Parse and apply; ScoreImportError (and nothing written) when any row is wrong."""
    rows, problems = parse_scores_csv(text)
    students = {p.telegram_id: p for p in await repos.memberships.people_with_role(Role.STUDENT)}
    groups: dict[tuple[int, dt.date, PartyKind], list[ScoreRow]] = {}
    for row in rows:
        if row.student not in students:
            problems.append(
                f"line {row.line}: {row.student} is not a student of the consortium file"
            )
            continue
        groups.setdefault((row.student, week_of(row.date), row.party_kind), []).append(row)
    for group in groups.values():
        dates = {row.date for row in group}
        if len(dates) > 1:
            later = max(group, key=lambda r: (r.date, r.line))
            problems.append(
                f"line {later.line}: a second date in the same week for this student and "
                "party kind (one assessment per party and week)"
            )
    created = updated = 0
    if not problems:
        for (telegram_id, week, kind), group in sorted(groups.items()):
            student = students[telegram_id]
            existing = [
                a for a in await repos.assessments.of_week(student.id, week) if a.party_kind == kind
            ]
            if existing and existing[0].source != "import":
                problems.append(
                    f"line {group[0].line}: this week was already scored in the bot by the "
                    f"{kind.value} mentor"
                )
                continue
            assessment = existing[0] if existing else None
            if assessment is None:
                assessment = Assessment(
                    student_id=student.id, week=week, party_kind=kind, source="import"
                )
                created += 1
            else:
                updated += 1
            for row in group:
                setattr(assessment, row.dimension, float(row.score))
            assessment.completed_at = dt.datetime.combine(group[0].date, dt.time(), dt.UTC)
            if assessment.id is None:
                await repos.assessments.add(assessment)
    if problems:
        raise ScoreImportError(problems)
    await repos.flush()
    return ScoreImport(len(rows), created, updated)
