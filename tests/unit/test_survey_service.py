"""The survey and review services on both databases: who is asked, a module put to its
builders once and only within the window, answers guarded to their owner, a change recorded
only by the lead's contact against this module's requests, and /forget keeping the scores."""

from __future__ import annotations

import datetime as dt

from bot.config import Settings
from bot.domain.survey import REVIEW_WINDOW
from bot.services import survey
from bot.services.consortium_io import import_file
from bot.services.context import ServiceContext
from bot.services.people import forget_person
from db.engine import Database
from db.models import Person
from db.repositories import Repos
from tests.factories import consortium_with_reviewers

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC)  # the module's one session ends


async def _imported(db_url: str) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, consortium_with_reviewers(), now=NOW)


def _ctx(repos: Repos, now: dt.datetime) -> ServiceContext:
    return ServiceContext(repos, now, "Asia/Shanghai")


async def _person(repos: Repos, telegram_id: int) -> Person:
    person = await repos.people.by_telegram_id(telegram_id)
    assert person is not None
    return person


async def test_the_survey_goes_to_enterprise_and_site_contacts_only(
    db_url: str, database: Database
) -> None:
    await _imported(db_url)
    async with database.transaction() as repos:
        li = await _person(repos, 1001)
        asks = await survey.send_survey(_ctx(repos, NOW), li, "law, pm")
        assert not isinstance(asks, str)
        assert sorted(a.person.telegram_id for a in asks) == [1102, 1103, 1302]
        assert {a.party.kind.value for a in asks} == {"enterprise", "overseas_site"}
        tan, ong = await _person(repos, 1102), await _person(repos, 1103)
        tans = next(a for a in asks if a.person.id == tan.id)
        assert await survey.toggle_skill(_ctx(repos, NOW), tans.answer.id, ong, 0) == "not_yours"
        assert await survey.toggle_skill(_ctx(repos, NOW), tans.answer.id, tan, 2) == "not_found"
        await survey.finish_skills(_ctx(repos, NOW), tans.answer.id, tan)
        assert await survey.toggle_skill(_ctx(repos, NOW), tans.answer.id, tan, 0) == "closed"
        await survey.write_need(_ctx(repos, NOW), tans.answer.id, tan, "Python")
        # A leftover No other needs keeps the need typed.
        assert await survey.write_need(_ctx(repos, NOW), tans.answer.id, tan, None) == "kept"
        assert tans.answer.need == "Python"


async def test_a_module_is_put_to_its_builders_once_within_the_window(
    db_url: str, database: Database
) -> None:
    await _imported(db_url)
    async with database.transaction() as repos:
        assert await survey.reviews_due(_ctx(repos, END - dt.timedelta(minutes=1))) == []
        asked = await survey.reviews_due(_ctx(repos, END))
        # The lead's (Ningbo University) contact, the enterprise's two, the site's one.
        assert sorted(a.person.telegram_id for a in asked) == [1002, 1102, 1103, 1302]
        assert await survey.reviews_due(_ctx(repos, END + dt.timedelta(hours=1))) == []


async def test_a_module_ended_long_ago_is_not_asked_about(db_url: str, database: Database) -> None:
    await _imported(db_url)
    async with database.transaction() as repos:
        late = END + REVIEW_WINDOW + dt.timedelta(seconds=1)
        assert await survey.reviews_due(_ctx(repos, late)) == []


async def test_a_change_only_by_the_leads_contact_and_forget_keeps_scores(
    db_url: str, database: Database
) -> None:
    await _imported(db_url)
    async with database.transaction() as repos:
        ctx = _ctx(repos, END)
        asks = {a.person.telegram_id: a for a in await survey.reviews_due(ctx)}
        tan, zhang = await _person(repos, 1102), await _person(repos, 1002)
        review = asks[1102].review.id
        assert await survey.rate(ctx, review, zhang, 0, 5) == "not_yours"
        for question, score in enumerate((5, 4, 5, 4)):
            await survey.rate(ctx, review, tan, question, score)
        await survey.write_change(ctx, review, tan, "More cases")
        assert await survey.write_change(ctx, review, tan, None) == "kept"  # a leftover button
        assert await survey.rate(ctx, review, tan, 0, 1) == "closed"
        assert await survey.rate(ctx, review + 99, tan, 0, 1) == "not_found"
        assert await survey.record_change(ctx, tan, "pm", [review], "x") == "not_yours"
        assert await survey.record_change(ctx, zhang, "pm", [review + 99], "x") == (
            "unknown_request"
        )
        loop = await survey.record_change(ctx, zhang, "pm", [review], "Two audit cases")
        assert not isinstance(loop, str)
        assert [(r.number, r.answered) for r in loop.requests] == [(review, True)]
        data = await survey.personal_data(repos, tan)
        assert data["course_reviews"][0]["change_requested"] == "More cases"
        await forget_person(repos, tan)
    async with database.transaction() as repos:
        loop = await survey.loop(_ctx(repos, END), "pm")
        assert not isinstance(loop, str)
        assert loop.overall is not None and loop.overall.means == (5.0, 4.0, 5.0, 4.0)
        assert [r.text for r in loop.requests] == [""]  # erased, shown as "(erased)"
