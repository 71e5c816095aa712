"""The Mini App's Topics and achievements view end to end: the topics of /topics with their
teams and report cycles, and the achievements of /achievements with each revenue's split,
the same amounts to the cent as the chat's split, seen by whom /achievements shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bot.fake_telegram import FakeTelegram
from db.engine import Database
from tests.e2e.conftest import started
from tests.e2e.miniapp import MiniApp
from tests.e2e.test_achievements import MENTORS, NOV2, amounts
from tests.e2e.test_topics import with_team
from tests.factories import running_topic

LI, CHEN, WANG, SOMCHAI, STRANGER = 1001, 2001, 1101, 1301, 4242


async def test_topics_and_achievements_show_the_split_of_revenue(
    tg: FakeTelegram, app: MiniApp
) -> None:
    assert (await app.get("topics", CHEN)).json() == {"topics": [], "achievements": []}
    await with_team(app.settings, app.bot)
    database = Database.from_url(app.settings.database_url)
    try:
        async with database.transaction() as repos:
            await running_topic(repos, NOV2, [2001, 2002], MENTORS, {0: [2001]})
    finally:
        await database.dispose()
    li = await started(tg, LI, "Li Wei", language="zh")
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/topics")
    listing = (await chen.next_message()).text
    (topic,) = (await app.get("topics", CHEN)).json()["topics"]
    assert f"#{topic['id']} {topic['title']} — {topic['party']} — running, team of 2" in listing
    assert topic["state"] == "running" and sorted(topic["team"]) == ["Chen Jie", "Mei Lin"]

    chen.send("/achievement 1 patent Low-cost <soil> sensor")
    assert "is recorded" in (await chen.next_message()).text
    app.clock.set(dt.datetime(2026, 11, 16, 5, 0, tzinfo=dt.UTC))
    li.send("/revenue 1 1000 CNY licence fee")
    split = (await li.next_message()).text

    found = (await app.get("topics", CHEN)).json()
    (achievement,) = found["achievements"]
    assert achievement["title"] == "Low-cost <soil> sensor" and achievement["topic"] == 1
    (revenue,) = achievement["revenues"]
    assert revenue["amount"] == "1,000.00 CNY" and revenue["note"] == "licence fee"
    shares = {s["name"]: s["amount"] for s in revenue["shares"]}
    assert shares == amounts(split) and shares["Chen Jie"] == "75.00 CNY"
    assert sum(Decimal(a.split()[0].replace(",", "")) for a in shares.values()) == 1000
    # The same filter as /achievements: a mentor of a sharing party sees it, the overseas
    # site's mentor (no share, no member) sees none; a stranger nothing at all.
    assert len((await app.get("topics", WANG)).json()["achievements"]) == 1
    assert (await app.get("topics", SOMCHAI)).json()["achievements"] == []
    refused = await app.get("topics", STRANGER)
    assert (refused.status_code, refused.json()) == (403, {"error": "forbidden"})
    zh = (await app.get("topics", LI)).json()["achievements"][0]["revenues"][0]["shares"]
    assert {s["name"]: s["amount"] for s in zh} == shares and zh[0]["role"] != "research institute"
