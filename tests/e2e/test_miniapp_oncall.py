"""The Mini App's On-call view end to end: the same duty as /oncall (overrides included),
a four-week calendar, and the open questions and medians of /requests for those /requests
allows, nothing of them for anyone else."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.fake_telegram import FakeTelegram, SentMessage
from bot.services.consortium_io import import_file
from bot.web.api import oncall as oncall_view
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, main_group, started
from tests.e2e.miniapp import MiniApp
from tests.e2e.test_liaison import ONCALL
from tests.e2e.test_miniapp import WEBAPP, with_url

__all__ = ["with_url"]  # a fixture

LI, ZHANG, WANG_LEI, CHEN, WANG = 1001, 1002, 1003, 2001, 1101
STRANGER = 4242


@pytest.fixture
async def liaison(app: MiniApp) -> MiniApp:
    """Ningbo University's weekly rotation Zhang Min, Wang Lei (tests/e2e/test_liaison.py)."""
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    text = text.replace("chats:\n", ONCALL.split("oncall:")[0] + "chats:\n", 1)
    text += "oncall:" + ONCALL.split("oncall:")[1]
    await import_file(app.settings, text, now=app.clock.now())
    return app


def _party(found: dict, name: str) -> dict:
    return next(p for p in found["parties"] if p["party"] == name)


async def test_oncall_shows_the_duty_of_oncall_with_its_overrides(
    tg: FakeTelegram, liaison: MiniApp
) -> None:
    app = liaison
    zhang = await started(tg, ZHANG, "Zhang Min")
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/oncall")
    listing = (await chen.next_message()).text
    found = (await app.get("oncall", CHEN)).json()
    nbu = _party(found, "Ningbo University")
    assert f"<b>Ningbo University</b>: {nbu['now']} now; then {nbu['next']} from" in listing
    for party in found["parties"]:  # the others have no rotation and no contact, as in chat
        if party["now"] is None:
            assert f"<b>{party['party']}</b>: no one on call" in listing
    assert (nbu["now"], nbu["next"], nbu["covering"]) == ("Zhang Min", "Wang Lei", False)
    assert "questions" not in found and "medians" not in found  # /requests is not a student's
    # Four weeks in Chen Jie's time zone; a weekly rotation alternates, one name a day but on
    # the day of the hand-off.
    assert len(found["days"]) == 28 and len(nbu["days"]) == 28
    names = {c["name"] for day in nbu["days"] for c in day}
    assert names == {"Zhang Min", "Wang Lei"}
    assert not any(c["covering"] for day in nbu["days"] for c in day)

    today = dt.date.fromisoformat(found["days"][0]["date"])
    start = dt.datetime.combine(today + dt.timedelta(days=2), dt.time(8, 0))
    end = start + dt.timedelta(hours=10)
    zhang.send(f"/override nbu {WANG_LEI} {start:%Y-%m-%dT%H:%M} {end:%Y-%m-%dT%H:%M}")
    assert "Wang Lei covers" in (await zhang.next_message()).text
    nbu = _party((await app.get("oncall", CHEN)).json(), "Ningbo University")
    covered = nbu["days"][2]
    assert {"name": "Wang Lei", "covering": True} in covered
    assert not any(c["covering"] for i, day in enumerate(nbu["days"]) if i != 2 for c in day)


async def test_questions_and_medians_are_those_of_requests(
    tg: FakeTelegram, liaison: MiniApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = liaison
    zhang = await started(tg, ZHANG, "Zhang Min")
    li = await started(tg, LI, "Li Wei")
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/ask nbu First <question>?")
    await chen.next_message()
    first = await zhang.next_message()
    chen.send("/ask nbu Second question?")
    await chen.next_message()
    await zhang.next_message()
    app.clock.advance(dt.timedelta(minutes=10))
    zhang.press(first, "Acknowledge")
    await tg.wait_for(lambda: tg.count_calls("answerCallbackQuery") >= 1)

    contact = (await app.get("oncall", ZHANG)).json()
    assert [(q["question"], q["state"], q["age"]) for q in contact["questions"]] == [
        ("First <question>?", "acknowledged", "10m"),
        ("Second question?", "open", "10m"),
    ]
    assert "medians" not in contact  # a contact's /requests has no figures either
    assert contact["questions_total"] == 2
    li.send("/requests")
    figures = (await li.next_message()).text
    coordinator = (await app.get("oncall", LI)).json()

    def same(q: dict) -> tuple:
        return q["id"], q["party"], q["question"], q["state"], q["age_seconds"], q["urgent"]

    assert [same(q) for q in coordinator["questions"]] == [same(q) for q in contact["questions"]]
    assert coordinator["questions"][0]["state_name"] != contact["questions"][0]["state_name"]
    assert coordinator["questions"][0]["age"] == "10分钟"  # each reader's words (Li reads zh)
    (nbu,) = coordinator["medians"]
    assert (nbu["requests"], nbu["ack"], nbu["answer"], nbu["escalated"]) == (2, "10分钟", None, 0)
    assert f"nbu：{nbu['requests']} 个问题，{nbu['ack']} / —，{nbu['escalated']}%" in figures
    # A student and a mentor see the duty, not the questions; a stranger gets nothing.
    for reader in (CHEN, WANG):
        answer = (await app.get("oncall", reader)).json()
        assert "questions" not in answer and "First" not in str(answer)
    refused = await app.get("oncall", STRANGER)
    assert (refused.status_code, refused.json()) == (403, {"error": "forbidden"})
    # Past the listed number, the longest-waiting are listed and the rest counted.
    monkeypatch.setattr(oncall_view, "SHOWN", 1)
    capped = (await app.get("oncall", LI)).json()
    assert [q["id"] for q in capped["questions"]] == [coordinator["questions"][0]["id"]]
    assert capped["questions_total"] == 2


async def test_without_a_rotation_the_first_contact_answers_throughout(
    tg: FakeTelegram, app: MiniApp
) -> None:
    # The sample consortium has no rotation: /ask goes to Ningbo University's contact.
    chen = await started(tg, CHEN, "Chen Jie")
    chen.send("/oncall")
    listing = (await chen.next_message()).text
    nbu = _party((await app.get("oncall", CHEN)).json(), "Ningbo University")
    assert f"<b>Ningbo University</b>: {nbu['now']} now" in listing and nbu["next"] is None
    assert nbu["days"] == [[{"name": "Zhang Min", "covering": False}]] * 28


async def test_oncall_requests_topics_and_achievements_carry_open(
    tg: FakeTelegram, with_url: RunningBot
) -> None:
    chen = await started(tg, CHEN, "Chen Jie")
    zhang = await started(tg, ZHANG, "Zhang Min")

    def opens(message: SentMessage) -> list[str]:
        rows = (message.raw.get("reply_markup") or {}).get("inline_keyboard", [])
        return [b["web_app"]["url"] for row in rows for b in row if "web_app" in b]

    for user, command, view in (
        (chen, "/oncall", "oncall"),
        (zhang, "/requests", "oncall"),
        (chen, "/topics", "topics"),
        (chen, "/achievements", "topics"),
    ):
        user.send(command)
        assert opens(await user.next_message()) == [f"{WEBAPP}?view={view}"], command
    # In a group /oncall is answered there, and Telegram takes no web_app button in groups.
    group = await main_group(tg, chen)
    chen.send("/oncall", chat=group)
    assert opens(await group.next_message()) == []
