"""The consortium file and past scores from the command line: parse, migrate, apply in one
transaction."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.domain.consortium_file import dump_consortium_file, parse_consortium_file
from bot.services.consortium import ImportReport, apply_consortium, export_consortium
from bot.services.score_import import ScoreImport, import_scores
from db.engine import Database
from db.migrate import upgrade


async def import_file(
    settings: Settings, text: str, now: dt.datetime | None = None
) -> ImportReport:
    """Check the whole file first; then apply it all or nothing."""
    doc = parse_consortium_file(text)
    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database.engine)
        async with database.transaction() as repos:
            return await apply_consortium(repos, doc, now or dt.datetime.now(dt.UTC))
    finally:
        await database.dispose()


async def export_file(settings: Settings) -> str:
    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database.engine)
        async with database.transaction() as repos:
            return dump_consortium_file(await export_consortium(repos))
    finally:
        await database.dispose()


async def import_scores_file(settings: Settings, text: str) -> ScoreImport:
    """Past assessments from CSV, all or nothing."""
    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database.engine)
        async with database.transaction() as repos:
            return await import_scores(repos, text)
    finally:
        await database.dispose()
