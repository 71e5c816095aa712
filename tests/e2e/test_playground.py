"""The playground's JSON API (`python -m bot demo --serve`): people act through it as Telegram
would deliver it to the bot, the page reads every chat back, and nothing anyone typed comes
back as markup. The bot's side is played here by direct Bot API calls to the fake."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, FormData
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import ManualClock
from bot.demo.cast import START, people
from bot.demo.playground import CSP, Person, Playground, render_message
from bot.fake_telegram import FakeTelegram, SentMessage
from bot.i18n import Translations, Translator

ROOT = Path(__file__).resolve().parents[2]
GROUP = -1001234567890
LI, CHEN = 1001, 2001
ACT = {"X-Playground": "1"}
JSON = dict[str, Any]


async def bot_call(tg: FakeTelegram, method: str, **params: Any) -> JSON:
    """What the bot would send: a Bot API call to the fake."""
    async with (
        ClientSession() as session,
        session.post(f"{tg.base_url}/bot{tg.token}/{method}", json=params) as response,
    ):
        body = await response.json()
    assert body["ok"], body
    result: JSON = body["result"]
    return result


def make(tg: FakeTelegram, lang: str = "en", *, is_open: bool = True) -> Playground:
    t = Translations.load().for_language(lang)
    cast = [Person(LI, "Li Wei", "coordinator"), Person(CHEN, "Chen Jie", "student")]
    for person in cast:
        tg.user(person.id, person.name, language_code=lang).send("/start")
    group = tg.group(GROUP, "Alliance main group")
    group.add_bot(by=tg.user(LI, "Li Wei"))
    tg.drop_pending_updates()
    ground = Playground(tg, ManualClock(START), t, lang, cast, "Asia/Shanghai")
    ground.is_open = is_open
    return ground


@pytest.fixture
async def ground(tg: FakeTelegram) -> Playground:
    return make(tg)


@pytest.fixture
async def client(ground: Playground) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(ground.app())) as test_client:
        yield test_client


def updates(tg: FakeTelegram) -> list[JSON]:
    return list(tg._updates)


async def read(client: TestClient[Any, Any], chat: int, since: int = 0) -> JSON:
    response = await client.get(f"/api/chats/{chat}/messages", params={"since": since})
    assert response.status == 200
    body: JSON = await response.json()
    return body


async def test_the_state_names_the_people_the_groups_and_the_clock_in_the_page_language(
    tg: FakeTelegram,
) -> None:
    ground = make(tg, "zh")
    async with TestClient(TestServer(ground.app())) as client:
        state = await (await client.get("/api/state")).json()
    assert [p["name"] for p in state["people"]] == ["Li Wei", "Chen Jie"]
    assert state["groups"] == [{"id": GROUP, "title": "Alliance main group"}]
    assert state["labels"]["send"] == "发送"
    assert state["clock"] == "2026年11月2日周一 14:00"  # 06:00 UTC in Ningbo, as Babel writes it
    assert state["bot"]["username"] == tg.bot_user["username"]


def test_the_demo_people_have_roles_and_parties_in_the_readers_language() -> None:
    zh = Translations.load().for_language("zh")
    cast = {person.name: person.about for person in people(zh)}
    assert len(cast) == 9  # eight in the file, and the newcomer who joins by invitation
    assert cast["Li Wei"] == "协调员 · Ningbo University"
    assert cast["Tan Wei Ming"].endswith("GlobalEd Tech Ltd")


async def test_a_message_reaches_the_bot_as_telegram_sends_it_and_comes_back_escaped(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    response = await client.post(
        f"/api/chats/{GROUP}/messages",
        json={"person": CHEN, "text": "/help <b>now</b> & <script>x</script>"},
        headers=ACT,
    )
    assert response.status == 201
    (update,) = updates(tg)
    message = update["message"]
    assert message["from"]["id"] == CHEN and message["chat"]["id"] == GROUP
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 5}]
    (shown,) = (await read(client, GROUP))["messages"]
    assert shown["from"] == {"id": CHEN, "name": "Chen Jie", "bot": False}
    assert shown["html"] == "/help &lt;b&gt;now&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"


async def test_the_bots_messages_keep_their_telegram_markup_buttons_and_replies(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    asked = tg.user(LI, "Li Wei").send("/requests")
    await bot_call(
        tg,
        "sendMessage",
        chat_id=LI,
        text="<b>Open</b> requests &lt;2&gt;",
        parse_mode="HTML",
        reply_parameters={"message_id": asked["message_id"]},
        reply_markup={
            "inline_keyboard": [
                [{"text": "Details", "callback_data": "rq:1"}],
                [{"text": "Join", "url": "https://t.me/synergy_test_bot?start=abc"}],
            ]
        },
    )
    *_, person, bot = (await read(client, LI))["messages"]  # after the /start
    assert person["html"] == "/requests"
    assert bot["html"] == "<b>Open</b> requests &lt;2&gt;"
    assert bot["from"]["bot"] is True
    assert bot["reply_to"] == {"id": asked["message_id"], "name": "Li Wei", "text": "/requests"}
    # Callback data stays on the server: the page presses a button by its place.
    assert bot["buttons"] == [
        [{"text": "Details", "url": None}],
        [{"text": "Join", "url": "https://t.me/synergy_test_bot?start=abc"}],
    ]


async def test_since_a_version_only_what_appeared_or_changed_and_which_are_left(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    first = await bot_call(tg, "sendMessage", chat_id=GROUP, text="one")
    second = await bot_call(tg, "sendMessage", chat_id=GROUP, text="two")
    everything = await read(client, GROUP)
    assert [m["html"] for m in everything["messages"]] == ["one", "two"]
    assert (await read(client, GROUP, everything["version"]))["messages"] == []

    await bot_call(
        tg, "editMessageText", chat_id=GROUP, message_id=first["message_id"], text="one, edited"
    )
    await bot_call(tg, "deleteMessage", chat_id=GROUP, message_id=second["message_id"])
    later = await read(client, GROUP, everything["version"])
    assert [(m["html"], m["edited"]) for m in later["messages"]] == [("one, edited", True)]
    assert later["ids"] == [first["message_id"]]
    assert later["version"] > everything["version"]


async def test_a_long_poll_returns_as_soon_as_the_bot_says_something(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    version = (await read(client, CHEN))["version"]
    started = time.monotonic()
    waiting = asyncio.create_task(
        client.get(f"/api/chats/{CHEN}/messages", params={"since": version, "wait": 10})
    )
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await bot_call(tg, "sendMessage", chat_id=CHEN, text="Welcome!")
    body = await (await waiting).json()
    assert [m["html"] for m in body["messages"]] == ["Welcome!"]
    assert time.monotonic() - started < 5


async def test_pressing_a_button_sends_its_callback_and_returns_the_bots_answer(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    sent = await bot_call(
        tg,
        "sendMessage",
        chat_id=CHEN,
        text="Which week?",
        reply_markup={
            "inline_keyboard": [
                [
                    {"text": "W44", "callback_data": "wk:44"},
                    {"text": "W45", "callback_data": "wk:45"},
                ]
            ]
        },
    )
    url = f"/api/chats/{CHEN}/messages/{sent['message_id']}/press"
    pressing = asyncio.create_task(
        client.post(url, json={"person": CHEN, "row": 0, "column": 1}, headers=ACT)
    )
    query = (await tg.wait_for(lambda: updates(tg), 5))[0]["callback_query"]
    assert query["data"] == "wk:45" and query["from"]["id"] == CHEN
    assert query["message"]["message_id"] == sent["message_id"]
    await bot_call(tg, "answerCallbackQuery", callback_query_id=query["id"], text="Week 45")
    response = await pressing
    assert response.status == 200
    assert await response.json() == {"answer": "Week 45", "alert": False}

    missing = await client.post(url, json={"person": CHEN, "row": 0, "column": 2}, headers=ACT)
    assert missing.status == 400


async def test_a_link_button_is_not_pressed(tg: FakeTelegram, client: TestClient[Any, Any]) -> None:
    sent = await bot_call(
        tg,
        "sendMessage",
        chat_id=LI,
        text="Invite",
        reply_markup={"inline_keyboard": [[{"text": "Open", "url": "https://example.org/"}]]},
    )
    response = await client.post(
        f"/api/chats/{LI}/messages/{sent['message_id']}/press",
        json={"person": LI, "row": 0, "column": 0},
        headers=ACT,
    )
    assert response.status == 400
    assert updates(tg) == []


async def test_a_vote_is_a_poll_answer_and_the_poll_shows_who_chose_what(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    sent = await bot_call(
        tg,
        "sendPoll",
        chat_id=GROUP,
        question="How is the collaboration going?",
        options=["On track", "Minor issues", "Blocked"],
        is_anonymous=False,
    )
    url = f"/api/chats/{GROUP}/messages/{sent['message_id']}/vote"
    response = await client.post(url, json={"person": LI, "options": [1]}, headers=ACT)
    assert response.status == 200
    (update,) = updates(tg)
    assert update["poll_answer"]["option_ids"] == [1]
    assert update["poll_answer"]["user"]["id"] == LI
    (poll_message,) = (await read(client, GROUP))["messages"]
    poll = poll_message["poll"]
    assert [o["votes"] for o in poll["options"]] == [0, 1, 0]
    assert poll["chosen"] == {str(LI): [1]}
    assert poll["total"] == "1 vote"

    two = await client.post(url, json={"person": CHEN, "options": [0, 1]}, headers=ACT)
    assert two.status == 400
    outside = await client.post(url, json={"person": CHEN, "options": [3]}, headers=ACT)
    assert outside.status == 400
    await bot_call(tg, "stopPoll", chat_id=GROUP, message_id=sent["message_id"])
    closed = await client.post(url, json={"person": CHEN, "options": [0]}, headers=ACT)
    assert closed.status == 409


async def test_a_file_is_sent_as_a_telegram_document(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    form = FormData()
    form.add_field("person", str(CHEN))
    form.add_field("caption", "my lesson plan")
    form.add_field("file", b"%PDF-1.7 plan", filename="plan.pdf", content_type="application/pdf")
    response = await client.post(f"/api/chats/{CHEN}/documents", data=form, headers=ACT)
    assert response.status == 201
    (update,) = updates(tg)
    document = update["message"]["document"]
    assert document["file_name"] == "plan.pdf" and document["mime_type"] == "application/pdf"
    assert update["message"]["caption"] == "my lesson plan"
    assert tg.files[document["file_id"]][1] == b"%PDF-1.7 plan"


async def test_charts_are_shown_and_other_files_only_downloaded(
    tg: FakeTelegram, client: TestClient[Any, Any]
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    tg.user(CHEN, "Chen Jie").send_document("page.html", b"<script>alert(1)</script>")
    chart = tg._store_file("chart.png", png)
    page_id = updates(tg)[0]["message"]["document"]["file_id"]

    image = await client.get(f"/api/files/{chart}")
    assert image.content_type == "image/png" and await image.read() == png
    download = await client.get(f"/api/files/{page_id}")
    assert download.content_type == "application/octet-stream"
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''page.html"
    assert (await client.get("/api/files/F404")).status == 404


async def test_the_clock_moves_on_when_asked(
    ground: Playground, client: TestClient[Any, Any]
) -> None:
    response = await client.post("/api/clock", json={"minutes": 90}, headers=ACT)
    assert (await response.json())["clock"] == "Mon, Nov 2, 2026 15:30"
    assert (ground.clock.now() - START).total_seconds() == 90 * 60
    refused = await client.post("/api/clock", json={"minutes": 0}, headers=ACT)
    assert refused.status == 400


async def test_refusals_are_clear_and_in_the_page_language(tg: FakeTelegram) -> None:
    ground = make(tg, "zh")
    async with TestClient(TestServer(ground.app())) as client:

        async def send(chat: int, body: JSON, headers: dict[str, str] = ACT) -> tuple[int, str]:
            response = await client.post(f"/api/chats/{chat}/messages", json=body, headers=headers)
            return response.status, (await response.json()).get("error")

        status, text = await send(CHEN, {"person": LI, "text": "hi"})  # Chen Jie's own chat
        assert status == 403 and "私聊" in text
        status, text = await send(GROUP, {"person": 4242, "text": "hi"})
        assert status == 400 and "请选择" in text
        assert (await send(-42, {"person": LI, "text": "hi"}))[0] == 404
        assert (await send(GROUP, {"person": LI, "text": "   "}))[0] == 400
        assert (await send(GROUP, {"person": LI, "text": "x" * 4097}))[0] == 400
        # Another site's page in the same browser cannot act: it cannot send the header.
        assert (await send(GROUP, {"person": LI, "text": "hi"}, headers={}))[0] == 403
        foreign = await client.get("/api/state", headers={"Host": "attacker.example:8088"})
        assert foreign.status == 403
    assert updates(tg) == []


async def test_while_the_month_plays_people_watch_but_do_not_act(tg: FakeTelegram) -> None:
    ground = make(tg, is_open=False)
    async with TestClient(TestServer(ground.app())) as client:
        response = await client.post(
            f"/api/chats/{GROUP}/messages", json={"person": LI, "text": "/help"}, headers=ACT
        )
        assert response.status == 409
        assert "still being played" in (await response.json())["error"]
        assert (await client.get(f"/api/chats/{GROUP}/messages")).status == 200
    assert updates(tg) == []


async def test_the_page_loads_nothing_from_another_host(client: TestClient[Any, Any]) -> None:
    page = await client.get("/")
    assert page.headers["Content-Security-Policy"] == CSP
    assert "default-src 'none'" in CSP and "http" not in CSP
    html = await page.text()
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == [
        "/static/playground.css",
        "/static/playground.js",
    ]
    for name in ("playground.js", "playground.css"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200
        assert "url(" not in await response.text()
    assert (await client.get("/static/../playground.py")).status == 404


def test_a_busy_port_is_one_line_before_the_month_is_played(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "demo", "--serve", "--port", str(port)],
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: the playground cannot listen on 127.0.0.1:{port} (Address already in use): "
        "choose another port with --port"
    ]
    assert time.monotonic() - started < 30  # not after a month of demo


def test_a_mini_app_button_is_shown_as_one(en: Translator) -> None:
    raw = {
        "message_id": 7,
        "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
        "text": "Your dashboard",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Open", "web_app": {"url": "http://127.0.0.1:8081/app/?view=cohort"}}],
                [{"text": "Details", "callback_data": "x"}],
            ]
        },
    }
    shown = render_message(SentMessage(1001, 7, raw), en)
    assert shown is not None
    assert shown["buttons"] == [
        [{"text": "Open", "url": None, "web_app": "http://127.0.0.1:8081/app/?view=cohort"}],
        [{"text": "Details", "url": None}],
    ]
