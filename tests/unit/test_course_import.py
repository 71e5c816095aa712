"""The consortium file's courses against a real database: created, imported again without a
change, edited in place, and exported back as the same file."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.services.consortium_io import export_file, import_file
from db.engine import Database
from tests.factories import consortium_with_courses


def _settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]


async def test_courses_are_imported_idempotently(db_url: str, database: Database) -> None:
    report = await import_file(_settings(db_url), consortium_with_courses())
    assert report.created["courses"] == 2 and report.created["sessions"] == 2
    assert report.created["pace"] == 1
    async with database.transaction() as repos:
        course = await repos.courses.by_key("data-security")
        assert course is not None and course.credits_per_hour == "0.5"
        assert course.title_zh == "国际教育数据安全法规"
        builders = {
            p.key
            for p in await repos.parties.all()
            if p.id in await repos.courses.builders(course.id)
        }
        assert builders == {"nbu", "edtech"}
        (session,) = await repos.courses.sessions(course.id)
        # 16:00 in Shanghai, the lead's zone.
        assert session.starts_at == dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
        assert session.minutes == 120 and session.cohort and session.link
        culture = await repos.courses.by_key("culture")
        assert culture is not None
        (talk,) = await repos.courses.sessions(culture.id)
        zhao = await repos.people.by_telegram_id(2002)
        assert zhao is not None
        assert await repos.courses.audience(talk.id) == (set(), {zhao.id})
    assert not (await import_file(_settings(db_url), consortium_with_courses())).changed


async def test_an_edited_session_is_updated_in_place(db_url: str, database: Database) -> None:
    await import_file(_settings(db_url), consortium_with_courses())
    edited = consortium_with_courses().replace(
        "2026-11-10 16:00, length: 2h", "2026-11-10 17:00, length: 3h"
    )
    report = await import_file(_settings(db_url), edited)
    assert dict(report.updated) == {"sessions": 1} and not report.created
    async with database.transaction() as repos:
        course = await repos.courses.by_key("data-security")
        assert course is not None
        (session,) = await repos.courses.sessions(course.id)
        assert session.starts_at.hour == 9 and session.minutes == 180


async def test_courses_export_then_import_is_a_fixed_point(db_url: str) -> None:
    await import_file(_settings(db_url), consortium_with_courses())
    exported = await export_file(_settings(db_url))
    assert "key: data-security" in exported and "start: '2026-11-10 16:00'" in exported
    assert "pace:" in exported
    assert not (await import_file(_settings(db_url), exported)).changed
    assert await export_file(_settings(db_url)) == exported
