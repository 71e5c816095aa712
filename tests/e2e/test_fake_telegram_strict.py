"""The fake Bot API is as strict as Telegram: HTML parsed as TDLib parses it, lengths counted
on the parsed text in UTF-16 code units, group upgrades, one getUpdates at a time, and
getWebhookInfo's count of the updates the bot has not taken yet."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest, ChatMigrated, Conflict

from bot.config import opt_in_library_defaults
from bot.fake_telegram import FakeTelegram
from bot.fake_telegram.entities import EntityError, parse_html, to_html, utf16_length
from bot.telegram.request import AiohttpRequest


@pytest.fixture
async def api(tg: FakeTelegram) -> AsyncIterator[Bot]:
    opt_in_library_defaults()
    bot = Bot(
        tg.token,
        base_url=f"{tg.base_url}/bot",
        base_file_url=f"{tg.base_url}/file/bot",
        request=AiohttpRequest(read_timeout=2.0),
        get_updates_request=AiohttpRequest(read_timeout=5.0),
    )
    async with bot:
        yield bot


# Cases from TDLib's own tests of its HTML parser (test/message_entities.cpp).
REFUSED = [
    ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
    ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
    ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    (
        "🏟 🏟&lt;<i>a</em   >",
        'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
    ),
    ("&#57311;", "invalid Unicode characters"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
]
PARSED = [
    ("&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;", '&ge;<>&"&laquo;&raquo;&#12345678;', []),
    ("R&D > 2", "R&D > 2", []),
    ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
    (
        "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>",
        "🏟 🏟🏟 ><🏟",
        [("italic", 5, 7), ("bold", 9, 3)],
    ),
    ("🏟 🏟&lt;<i>a</    >", "🏟 🏟<a", [("italic", 6, 1)]),
    ("🏟 🏟&lt;<b></b>", "🏟 🏟<", []),
    ('<span class = "tg-spoiler">x</span>', "x", [("spoiler", 0, 1)]),
    (
        "<blockquote expandable>a&lt;<pre  >b;</></>",
        "a<b;",
        [("expandable_blockquote", 0, 4), ("pre", 2, 2)],
    ),
]


@pytest.mark.parametrize(("markup", "reason"), REFUSED)
def test_markup_refused_as_tdlib_refuses_it(markup: str, reason: str) -> None:
    with pytest.raises(EntityError) as refused:
        parse_html(markup)
    assert reason in str(refused.value)


@pytest.mark.parametrize(("markup", "text", "entities"), PARSED)
def test_markup_parsed_as_tdlib_parses_it(
    markup: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    parsed, found = parse_html(markup)
    assert parsed == text
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


def test_lengths_in_utf16_and_markup_written_back() -> None:
    assert utf16_length("🏟") == 2 and utf16_length("你好") == 2 and utf16_length("a") == 1
    markup = '<b>R&amp;D <i>名</i></b> &lt;x&gt; 🏟 <a href="https://e.org/?a=1&amp;b=2">link</a>'
    text, entities = parse_html(markup)
    assert text == "R&D 名 <x> 🏟 link"
    assert to_html(text, entities) == markup
    assert parse_html(to_html(text, entities)) == (text, entities)


async def test_lengths_are_counted_after_parsing_in_utf16(tg: FakeTelegram, api: Bot) -> None:
    for user_id in range(11, 15):  # each chat takes a short burst only
        tg.user(user_id, "Bo").send("/start")
    # 4,096 characters once parsed, whatever the markup around them.
    await api.send_message(11, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="too long"):
        await api.send_message(11, "<b>" + "&amp;" * 4097 + "</b>", parse_mode="HTML")
    # An emoji outside the BMP counts two: 2,048 fit, one character more does not.
    await api.send_message(12, "🏟" * 2048)
    with pytest.raises(BadRequest, match="too long"):
        await api.send_message(12, "🏟" * 2048 + "x")
    with pytest.raises(BadRequest, match="caption is too long"):
        await api.send_document(
            13, b"x", filename="a.txt", caption="🏟" * 512 + "x", parse_mode="HTML"
        )
    message = await api.send_message(14, "<b>bold</b> &lt;plain&gt;", parse_mode="HTML")
    assert message.text == "bold <plain>" and message.entities[0].type == "bold"
    assert message.text_html == tg.messages(14)[-1].text == "<b>bold</b> &lt;plain&gt;"


async def test_a_group_upgraded_to_a_supergroup(tg: FakeTelegram, api: Bot) -> None:
    admin = tg.user(12, "Cy")
    group = tg.group(-500, "G", kind="group")
    group.add_bot(by=admin)
    await api.send_message(group.id, "before")
    supergroup = group.upgrade(by=admin)
    with pytest.raises(ChatMigrated) as migrated:
        await api.send_message(group.id, "lost")
    assert migrated.value.new_chat_id == supergroup.id < -(10**12)
    await api.send_message(supergroup.id, "after")
    assert [m.text for m in tg.messages(group.id)] == ["before"]
    assert [m.text for m in tg.messages(supergroup.id)] == ["after"]
    updates = await api.get_updates()
    service = [u.message for u in updates if u.message is not None]
    assert [(m.chat.id, m.migrate_to_chat_id, m.migrate_from_chat_id) for m in service] == [
        (group.id, supergroup.id, None),
        (supergroup.id, None, group.id),
    ]


async def test_one_get_updates_at_a_time(tg: FakeTelegram, api: Bot) -> None:
    first = asyncio.create_task(api.get_updates(timeout=3))
    await tg.wait_for(lambda: tg.count_calls("getUpdates") == 1)
    second = asyncio.create_task(api.get_updates(timeout=0))
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first
    assert await second == () and tg.conflicts == 1
    [(ended, newer)] = tg.conflicted  # which call ended which, for a failing assertion
    assert (ended["timeout"], newer["timeout"]) == (3, 0)


@contextlib.asynccontextmanager
async def webhook_receiver(
    hook: Callable[[web.Request], Awaitable[web.Response]],
) -> AsyncIterator[str]:
    """A bot's webhook on a free port: `hook` answers the fake's posts; yields its URL."""
    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


async def test_webhook_info_counts_the_updates_not_answered_yet(tg: FakeTelegram, api: Bot) -> None:
    """getWebhookInfo as the Bot API answers it (parsed by PTB): `pending_update_count` is
    the updates not fetched and confirmed (polling), or not answered with a 2xx by the
    webhook, where a post being handled still counts; a failed post is the last error."""
    person = tg.user(21, "Jo")
    person.send("/start")
    person.send("hello")
    info = await api.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.pending_update_count) == ("", False, 2)
    fetched = await api.get_updates(timeout=0)
    assert (await api.get_webhook_info()).pending_update_count == 2  # fetched, not confirmed
    await api.get_updates(offset=fetched[-1].update_id + 1, timeout=0)
    assert (await api.get_webhook_info()).pending_update_count == 0

    arrived, answer = asyncio.Event(), asyncio.Event()
    statuses = [500, 204]  # the first post fails; the second is taken (any 2xx)

    async def hook(request: web.Request) -> web.Response:
        arrived.set()
        await answer.wait()
        return web.Response(status=statuses.pop(0))

    async with webhook_receiver(hook) as url:
        await api.set_webhook(url, max_connections=10, allowed_updates=["message"])
        person.send("while the bot works")
        await asyncio.wait_for(arrived.wait(), 10)
        info = await api.get_webhook_info()
        assert (info.url, info.pending_update_count, info.max_connections) == (url, 1, 10)
        assert info.allowed_updates == ("message",) and info.last_error_date is None
        answer.set()
        await tg.wait_for(lambda: tg.webhook_answers == [500, 204])
        info = await api.get_webhook_info()
        assert info.pending_update_count == 0 and info.last_error_date is not None
        assert info.last_error_message == (
            "Wrong response from the webhook: 500 Internal Server Error"
        )
        await api.delete_webhook()


async def test_the_webhook_poster_outlives_a_bot_gone_mid_post(tg: FakeTelegram, api: Bot) -> None:
    """A bot that dies while an update is posted (the connection closed, no answer) gets the
    update again, as from Telegram; the kinds left out of `allowed_updates` are not posted.
    The poster caught only OSError: aiohttp's ServerDisconnectedError ended it silently and
    no update was posted again."""
    posted: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        posted.append(next(k for k in update if k != "update_id"))
        if len(posted) == 1:
            assert request.transport is not None
            request.transport.close()  # gone without an answer
        return web.Response(status=200)

    person = tg.user(22, "Li")
    async with webhook_receiver(hook) as url:
        await api.set_webhook(url, allowed_updates=["message"])
        sent = person.send("first")
        person.edit(sent, "first, edited")  # an edited_message: not allowed, not posted
        person.send("second")
        await tg.wait_for(lambda: (len(posted) >= 3 and not tg._updates) or None, 10)
        assert posted == ["message", "message", "message"]
        info = await api.get_webhook_info()
        assert info.pending_update_count == 0 and info.last_error_message
        await api.delete_webhook()


async def test_get_chat_answers_what_ptb_parses(tg: FakeTelegram, api: Bot) -> None:
    admin = tg.user(12, "Cy")
    group = tg.group(-600, "G")
    group.add_bot(by=admin)
    chat = await api.get_chat(group.id)
    assert chat.id == group.id and chat.title == "G"
    assert chat.accepted_gift_types is not None


async def test_web_app_buttons_only_in_private_chats_and_over_https(
    tg: FakeTelegram, api: Bot
) -> None:
    tg.user(5, "Ann").send("/start")
    group = tg.group(-100777, "Group")
    group.add_bot(by=tg.user(6, "Bob"))

    def keyboard(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Open", web_app=WebAppInfo(url))]])

    sent = await api.send_message(5, "hi", reply_markup=keyboard("https://example.org/app/"))
    assert sent.reply_markup is not None
    with pytest.raises(BadRequest, match=r"(?i)button_type_invalid"):
        await api.send_message(-100777, "hi", reply_markup=keyboard("https://example.org/app/"))
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await api.send_message(5, "hi", reply_markup=keyboard("http://example.org/app/"))
    assert await api.set_chat_menu_button(
        menu_button=MenuButtonWebApp("Dashboard", WebAppInfo("https://example.org/app/"))
    )
    found = await api.get_chat_menu_button(5)
    assert isinstance(found, MenuButtonWebApp) and found.web_app.url == "https://example.org/app/"
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await api.set_chat_menu_button(
            menu_button=MenuButtonWebApp("Dashboard", WebAppInfo("ftp://example.org/"))
        )
