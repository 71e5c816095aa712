"""The On-call and Topics views in headless Chromium (see test_miniapp_browser.py): opened
as Telegram opens them, showing the same duty, questions, medians and revenue split as
/oncall, /requests and /revenue in the chat; screenshots kept as for the other views."""

from __future__ import annotations

import datetime as dt

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from tests.e2e.conftest import started
from tests.e2e.miniapp import MiniApp
from tests.e2e.test_achievements import MENTORS, NOV2, amounts
from tests.e2e.test_miniapp_browser import DARK, Page, browser, page, pytestmark, shots
from tests.e2e.test_miniapp_oncall import liaison
from tests.e2e.test_topics import with_team
from tests.factories import running_topic

__all__ = ["browser", "liaison", "page", "pytestmark", "shots"]  # fixtures, the skip mark
LI, ZHANG, CHEN = 1001, 1002, 2001


async def test_oncall_in_the_browser(page: Page, liaison: MiniApp, tg: FakeTelegram) -> None:
    app = liaison
    zhang = await started(tg, ZHANG, "Zhang Min")
    li = await started(tg, LI, "Li Wei")
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/ask nbu Is the <lab> open on Sunday?")
    await chen.next_message()
    first = await zhang.next_message()
    app.clock.advance(dt.timedelta(minutes=10))
    zhang.press(first, "Acknowledge")
    await tg.wait_for(lambda: tg.count_calls("answerCallbackQuery") >= 1)
    li.send("/requests")
    figures = (await li.next_message()).text

    # The coordinator, in Chinese and Telegram's dark theme.
    await page.open(app.init_data(LI, language="zh"), query="?view=oncall", theme=DARK)
    await page.settled()
    nbu = '[data-now] tr[data-party="Ningbo University"]'
    assert await page.text(f"{nbu} td.now") == "Zhang Min"
    assert (await page.text(f"{nbu} td.next")).startswith("Wang Lei")
    assert len(await page.texts("[data-calendar] tbody tr")) == 28
    assert await page.text('[data-questions] tr[data-state="acknowledged"] td.comment') == (
        "Is the <lab> open on Sunday?"  # text, not markup
    )
    cells = await page.texts('[data-medians] tr[data-party="nbu"] td')
    assert cells[1:4] == ["1", "10分钟", "—"]
    assert f"nbu：1 个问题，{cells[2]} / {cells[3]}，0%" in figures
    await page.shot("oncall-coordinator-zh-dark")

    # The student: the duty, no questions.
    await page.open(app.init_data(CHEN), query="?view=oncall")
    await page.settled()
    assert await page.text(f"{nbu} td.now") == "Zhang Min"
    assert await page.texts("[data-questions]") == [] and await page.texts("[data-medians]") == []
    await page.shot("oncall-student")
    assert await page.severe() == []


async def test_topics_in_the_browser(page: Page, app: MiniApp, tg: FakeTelegram) -> None:
    await with_team(app.settings, app.bot)
    database = Database.from_url(app.settings.database_url)
    try:
        async with database.transaction() as repos:
            await running_topic(repos, NOV2, [2001, 2002], MENTORS, {0: [2001]})
    finally:
        await database.dispose()
    li = await started(tg, LI, "Li Wei", language="zh")
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/achievement 1 patent Low-cost soil moisture sensor")
    await chen.next_message()
    app.clock.set(dt.datetime(2026, 11, 16, 5, 0, tzinfo=dt.UTC))
    li.send("/revenue 1 1000 CNY licence fee")
    split = amounts((await li.next_message()).text)

    await page.open(app.init_data(CHEN), query="?view=topics")
    await page.settled()
    assert len(await page.texts("[data-topics] li[data-state=running]")) == 1
    assert "Chen Jie" in await page.text("[data-topics] li .team")
    rows = await page.texts('[data-achievement="1"] .revenue tbody tr')
    shown = {row.split(" (")[0]: row.rsplit(" ", 2)[-2] + " CNY" for row in rows}
    assert shown == split
    await page.shot("topics-student")
    assert await page.severe() == []
