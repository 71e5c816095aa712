"""Importing and exporting the consortium file against a real database."""

from __future__ import annotations

from bot.config import Settings
from bot.domain.consortium_file import ConsortiumFileError
from bot.services.consortium_io import export_file, import_file
from db.engine import Database
from db.models import Role
from tests.conftest import SAMPLE_FILE

SAMPLE = SAMPLE_FILE.read_text(encoding="utf-8")


def _settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]


async def test_import_creates_everything(db_url: str, database: Database) -> None:
    report = await import_file(_settings(db_url), SAMPLE)
    assert dict(report.created) == {
        "consortium": 1,
        "parties": 4,
        "people": 6,
        "roles": 7,
        "chats": 1,
        "placements": 1,
        "reports": 1,
        "credits": 1,
    }
    assert not report.updated and not report.removed
    async with database.transaction() as repos:
        zhang = await repos.people.by_telegram_id(1002)
        assert zhang is not None
        roles = sorted(m.role for m in await repos.memberships.of_person(zhang.id))
        assert roles == [Role.CONTACT, Role.MENTOR]
        mentor = await repos.people.by_telegram_id(1301)
        assert mentor is not None and mentor.name == "Somchai Prasert"
        policy = await repos.reports.policy()
        assert policy is not None and policy.disagreement == 20 and policy.credits_per_month == "2"
        (placement,) = await repos.placements.all()
        assert {m.party_kind.value for m in placement.mentors} == {
            "university",
            "enterprise",
            "research",
            "overseas_site",
        }
        chat = await repos.chats.by_telegram_id(-1001234567890)
        assert chat is not None and chat.linked


async def test_import_twice_changes_nothing(db_url: str) -> None:
    await import_file(_settings(db_url), SAMPLE)
    report = await import_file(_settings(db_url), SAMPLE)
    assert not report.changed and report.summary() == "no changes"


async def test_edited_file_applies_the_edits(db_url: str, database: Database) -> None:
    await import_file(_settings(db_url), SAMPLE)
    edited = (
        SAMPLE.replace(
            "name: Zhang Min, party: nbu, roles: [contact, mentor]",
            "name: Zhang Min 张敏, party: nbu, roles: [contact]",
        )
        .replace("end: 2027-01-31", "end: 2027-02-28")
        .replace("enterprise: 1101", "enterprise: 1102")
        .replace(
            "chats:\n",
            "chats:\n  - {telegram_id: -1009999, title: Research group, party: ai-lab}\n",
        )
    )
    report = await import_file(_settings(db_url), edited)
    assert dict(report.updated) == {"people": 1, "placements": 1}
    assert dict(report.removed) == {"roles": 1}
    assert dict(report.created) == {"people": 1, "chats": 1}
    async with database.transaction() as repos:
        zhang = await repos.people.by_telegram_id(1002)
        assert zhang is not None and zhang.name == "Zhang Min 张敏"
        assert [m.role for m in await repos.memberships.of_person(zhang.id)] == [Role.CONTACT]


async def test_fields_left_out_are_left_alone(db_url: str, database: Database) -> None:
    await import_file(_settings(db_url), SAMPLE)
    async with database.transaction() as repos:
        zhang = await repos.people.by_telegram_id(1002)
        assert zhang is not None
        zhang.language = "zh"  # as if chosen with /lang
    report = await import_file(_settings(db_url), SAMPLE)
    assert not report.changed
    async with database.transaction() as repos:
        zhang = await repos.people.by_telegram_id(1002)
        assert zhang is not None and zhang.language == "zh"


async def test_export_then_import_is_a_fixed_point(db_url: str) -> None:
    await import_file(_settings(db_url), SAMPLE)
    exported = await export_file(_settings(db_url))
    assert "{telegram_id: 1002, name: Zhang Min, party: nbu, roles: [contact, mentor]}" in exported
    assert "1301" in exported and "name: null" not in exported
    report = await import_file(_settings(db_url), exported)
    assert not report.changed
    assert await export_file(_settings(db_url)) == exported


async def test_a_wrong_file_imports_nothing(db_url: str, database: Database) -> None:
    bad = SAMPLE.replace("party: nbu, roles: [student]", "party: nbx, roles: [student]")
    try:
        await import_file(_settings(db_url), bad)
    except ConsortiumFileError as error:
        assert error.problems == ["people[2].party: unknown party 'nbx'"]
    else:
        raise AssertionError("the wrong file was accepted")
    async with database.transaction() as repos:
        assert await repos.consortium.get() is None
        assert list(await repos.parties.all()) == []


ONCALL = """oncall:
  nbu: {rotation: [1002, 1003], handoff: "mon 09:00", period: weekly,
        escalation: [{after: 30m, notify: next}, {after: 2h, notify: coordinators}],
        overrides: [{person: 1003, start: 2026-12-01 09:00, end: 2026-12-05 18:00}]}
"""


async def test_oncall_section_round_trip(db_url: str, database: Database) -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 4, 6, 0, tzinfo=dt.UTC)  # a Wednesday
    report = await import_file(_settings(db_url), SAMPLE + ONCALL, now=now)
    assert report.created["oncall"] == 1 and report.created["overrides"] == 1
    async with database.transaction() as repos:
        nbu = await repos.parties.by_key("nbu")
        assert nbu is not None
        policy = await repos.oncall.policy(nbu.id)
        assert policy is not None
        assert policy.starts_on == dt.date(2026, 11, 2)  # the Monday of the running shift
        assert policy.escalation == [
            {"after": 1800, "notify": "next"},
            {"after": 7200, "notify": "coordinators"},
        ]
        (override,) = await repos.oncall.overrides(nbu.id, now)
        assert override.starts_at == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 +8
    assert not (await import_file(_settings(db_url), SAMPLE + ONCALL, now=now)).changed
    exported = await export_file(_settings(db_url))
    assert "oncall:\n  nbu: {rotation: [1002, 1003]" in exported
    assert "start: '2026-12-01 09:00'" in exported
    assert not (await import_file(_settings(db_url), exported, now=now)).changed


CHECKIN = """checkin: {schedule: "first mon 10:00", open_for: 72h, reminders: [24h],
          holidays: {CN: [2026-10-01, 2026-10-02], th: [2026-12-05]}}
"""


async def test_checkin_section_round_trip_and_problems(db_url: str, database: Database) -> None:
    report = await import_file(_settings(db_url), SAMPLE + CHECKIN)
    assert report.created["checkin"] == 1
    async with database.transaction() as repos:
        policy = await repos.checkins.policy()
        assert policy is not None and policy.open_for == 72 * 3600
        assert policy.reminders == [24 * 3600]
        assert policy.holidays == {"CN": ["2026-10-01", "2026-10-02"], "TH": ["2026-12-05"]}
    exported = await export_file(_settings(db_url))
    assert "checkin: {schedule: 'first mon 10:00', open_for: 3d, reminders: [1d]" in exported
    assert not (await import_file(_settings(db_url), exported)).changed
    bad = SAMPLE + 'checkin: {schedule: "fifth mon 10:00", open_for: 2h, reminders: [3h]}\n'
    try:
        await import_file(_settings(db_url), bad)
    except ConsortiumFileError as error:
        assert any(p.startswith("checkin.schedule: ") for p in error.problems)
    else:
        raise AssertionError("a wrong schedule was accepted")


RULES = """credits: {overseas_per_month: 2, training_hours_per_credit: 32, training_credits: 1,
          per_topic_cycle: 0.5}
topics: {cycle_days: 21}
achievements: {shares: {research: 45, enterprise: 25, university: 20}, students: 10,
               students_raised: 20, raised_at: 60, currency: usd}
digest: {day: 2, time: "08:30", checkin_attendance: 75, response_time: 2h,
         scored_on_time: 80, topics_answered: 90}
"""


async def test_rule_sections_round_trip_and_problems(db_url: str, database: Database) -> None:
    from decimal import Decimal

    from bot.services import rules

    text = SAMPLE.replace("credits: {overseas_per_month: 2}\n", RULES)
    report = await import_file(_settings(db_url), text)
    assert {report.created[s] for s in ("credits", "topics", "achievements", "digest")} == {1}
    async with database.transaction() as repos:
        credits = await rules.credits(repos)
        assert credits.training_hours_per_credit == 32 and credits.per_topic_cycle == Decimal("0.5")
        assert (await rules.topics(repos)).cycle_days == 21
        split = rules.split_rules(await rules.achievements(repos))
        assert split.parties == {"research": 45, "enterprise": 25, "university": 20}
        assert (split.students_raised, split.threshold) == (20, Decimal("0.6"))
        assert (await rules.achievements(repos)).currency == "USD"
        spec, thresholds = await rules.digest(repos)
        assert (spec.day, spec.time, thresholds.response_minutes) == (2, "08:30", 120.0)
        assert thresholds.checkin_attendance == 0.75
    exported = await export_file(_settings(db_url))
    assert "topics: {cycle_days: 21}" in exported
    assert "shares: {research: 45, enterprise: 25, university: 20}" in exported
    assert not (await import_file(_settings(db_url), exported)).changed

    bad = SAMPLE.replace(
        "credits: {overseas_per_month: 2}\n",
        "achievements: {shares: {research: 50, enterprise: 30, university: 20}, currency: XYZ}\n"
        'digest: {time: "25:00", response_time: soon}\ntopics: {cycle_days: 3}\n',
    )
    try:
        await import_file(_settings(db_url), bad)
    except ConsortiumFileError as error:
        found = error.problems
        assert (
            "achievements.currency: unknown currency 'XYZ' (ISO 4217, e.g. CNY, USD, EUR)" in found
        )
        assert any(p.startswith("digest.time: ") for p in found)
        assert any(p.startswith("digest.response_time: ") for p in found)
        assert any(p.startswith("topics.cycle_days: ") for p in found)
    else:
        raise AssertionError("wrong rules were accepted")
    shares = SAMPLE.replace(
        "credits: {overseas_per_month: 2}\n",
        "achievements: {shares: {research: 50, enterprise: 30, university: 20}}\n",
    )
    try:
        await import_file(_settings(db_url), shares)
    except ConsortiumFileError as error:
        assert error.problems == ["achievements: shares and students add up to 110%, not 100%"]
    else:
        raise AssertionError("shares over 100% were accepted")
