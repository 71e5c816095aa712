"""The assessment manual in force, its earlier versions, a new version from the consortium
file, and re-scoring a week under a newer version (the earlier scores kept with theirs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.domain.manual import (
    DEFAULT_MANUAL,
    DEFAULT_VERSION,
    Manual,
    ManualSpec,
    canonical,
    digest,
    manual_from_json,
)
from bot.domain.reports import DIMENSIONS
from db.models import Assessment, AssessmentHistory, ManualVersion
from db.repositories import Repos


async def in_force(repos: Repos) -> Manual:
    """The manual mentors score with now: the latest version imported, else the built-in."""
    latest = await repos.manual.latest()
    return DEFAULT_MANUAL if latest is None else manual_from_json(latest.version, latest.content)


async def version(repos: Repos, number: int) -> Manual | None:
    """One version of the manual; None when there is no such version."""
    if number == DEFAULT_VERSION:
        return DEFAULT_MANUAL
    row = await repos.manual.get(number)
    return None if row is None else manual_from_json(row.version, row.content)


async def of_versions(repos: Repos, versions: Iterable[int]) -> dict[int, Manual]:
    """Each version asked for (an unknown one reads as the built-in rubric)."""
    found: dict[int, Manual] = {}
    for version in set(versions):
        row = None if version == DEFAULT_VERSION else await repos.manual.get(version)
        found[version] = (
            DEFAULT_MANUAL if row is None else manual_from_json(row.version, row.content)
        )
    return found


async def import_manual(repos: Repos, spec: ManualSpec, now: dt.datetime) -> int | None:
    """The file's manual as a new version when it differs from the one in force; the new
    version's number (None: unchanged)."""
    content = canonical(spec)
    latest = await repos.manual.latest()
    if latest is not None and latest.digest == digest(content):
        return None
    version = (latest.version if latest else DEFAULT_VERSION) + 1
    await repos.manual.add(
        ManualVersion(version=version, content=content, digest=digest(content), created_at=now)
    )
    return version


async def rescore(repos: Repos, assessment: Assessment, now: dt.datetime) -> bool:
    """Open a week scored under an older manual for scoring again: its scores are kept in
    the history with their version and the assessment starts afresh. False when the scores
    were given under the manual in force (nothing to re-score)."""
    manual = await in_force(repos)
    if assessment.completed_at is None or assessment.manual_version >= manual.version:
        return False
    await repos.manual.keep(
        AssessmentHistory(
            assessment_id=assessment.id,
            student_id=assessment.student_id,
            week=assessment.week,
            party_kind=assessment.party_kind,
            mentor_id=assessment.mentor_id,
            comment=assessment.comment,
            manual_version=assessment.manual_version,
            completed_at=assessment.completed_at,
            replaced_at=now,
            **{d.value: getattr(assessment, d.value) for d in DIMENSIONS},
        )
    )
    for d in DIMENSIONS:
        setattr(assessment, d.value, None)
    assessment.comment = None
    assessment.completed_at = None
    return True
