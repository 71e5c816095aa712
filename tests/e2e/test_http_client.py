"""`AiohttpRequest`, the bot's HTTP client, through a real PTB `Bot` against the fake Bot API:
the answers and errors PTB knows from its own `HTTPXRequest`, uploads, time-outs, the pool."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.config import opt_in_library_defaults
from bot.fake_telegram import FakeTelegram
from bot.telegram.request import UPLOAD_FLOOR, AiohttpRequest, upload_deadline


def bot_for(tg: FakeTelegram, request: AiohttpRequest) -> Bot:
    opt_in_library_defaults()
    return Bot(tg.token, base_url=f"{tg.base_url}/bot", request=request)


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[int]:
    """A small aiohttp app on a free local port, for what the fake does not do."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@pytest.fixture
async def api(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(tg, AiohttpRequest(read_timeout=1.0)) as bot:
        yield bot


async def test_answers_and_errors_as_ptb_reads_them(tg: FakeTelegram, api: Bot) -> None:
    tg.user(20, "Ann").send("/start")
    message = await api.send_message(20, "<b>hello</b> 你好", parse_mode="HTML")
    assert message.chat.id == 20 and message.text == "hello 你好"  # Telegram parsed the HTML
    assert message.text_html == "<b>hello</b> 你好"
    assert tg.calls[-1][1]["parse_mode"] == "HTML"
    tg.fail("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await api.send_message(20, "x")
    tg.fail("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as limited:
        await api.send_message(20, "x")
    assert limited.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
    tg.fail("sendMessage", status=403, description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden, match="deactivated"):
        await api.send_message(20, "x")
    assert (await api.send_message(20, "works again")).text == "works again"


async def test_timeouts_default_and_per_call(tg: FakeTelegram, api: Bot) -> None:
    tg.user(21, "Bo").send("/start")
    tg.fail("sendMessage", status=0, delay=1.5)
    with pytest.raises(TimedOut):
        await api.send_message(21, "too slow for the 1 s read timeout")
    tg.fail("sendMessage", status=0, delay=1.5)
    message = await api.send_message(21, "given longer", read_timeout=3)
    assert message.text == "given longer"


async def test_uploads_a_file_with_its_fields(tg: FakeTelegram, api: Bot) -> None:
    tg.user(22, "Cy").send("/start")
    content = "name,score\n张敏,4\n".encode() * 1000
    sent = await api.send_document(
        22, InputFile(content, filename="scores.csv"), caption="<i>week 3</i>", parse_mode="HTML"
    )
    assert sent.caption == "week 3" and sent.caption_html == "<i>week 3</i>"
    assert sent.document is not None
    assert sent.document.file_name == "scores.csv"
    path, stored = tg.files[sent.document.file_id]
    assert stored == content and path.endswith("scores.csv")


async def test_a_full_pool_times_out_without_sending(tg: FakeTelegram) -> None:
    tg.user(23, "Di").send("/start")
    async with bot_for(tg, AiohttpRequest(connection_pool_size=1, pool_timeout=0.2)) as bot:
        tg.fail("sendMessage", status=0, delay=1.0)
        first = asyncio.create_task(bot.send_message(23, "holds the only connection"))
        await tg.wait_for(lambda: sum(1 for m, _ in tg.calls if m == "sendMessage") == 1)
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(23, "finds no connection free")
        assert (await first).text == "holds the only connection"
        assert [p["text"] for m, p in tg.calls if m == "sendMessage"] == [
            "holds the only connection"
        ]
        assert (await bot.send_message(23, "the connection is free again")).message_id


async def test_no_server_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(connect_timeout=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.post(f"http://127.0.0.1:{port}/bot123:abc/getMe")
    finally:
        await request.shutdown()


async def test_headers_and_life_cycle() -> None:
    seen: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        cookie = web.Response(text='{"ok": true, "result": true}', content_type="application/json")
        cookie.set_cookie("tracking", "1")  # ignored: the Bot API sets no cookies
        return cookie

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    request = AiohttpRequest()
    async with serving(app) as port:
        url = f"http://127.0.0.1:{port}/bot123:abc/close"
        try:
            with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it
                await request.post(url)
            await request.initialize()
            assert await request.post(url) is True
            await request.shutdown()
            await request.initialize()  # as an Application started a second time
            assert await request.post(url) is True
        finally:
            await request.shutdown()
    assert [h["User-Agent"] for h in seen] == [BaseRequest.USER_AGENT] * 2
    assert "Cookie" not in seen[1]
    assert request.read_timeout == 5.0  # PTB's default, which long polls add their timeout to


async def test_through_a_proxy(tg: FakeTelegram) -> None:
    relayed: list[str] = []

    async def relay(request: web.Request) -> web.Response:  # a forward proxy
        relayed.append(str(request.url))
        async with (
            aiohttp.ClientSession() as session,
            session.post(request.url, data=await request.read()) as answer,
        ):
            body = await answer.read()
        return web.Response(status=answer.status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    async with (
        serving(app) as port,
        bot_for(tg, AiohttpRequest(proxy=f"http://127.0.0.1:{port}")) as bot,
    ):
        assert bot.username == "synergy_test_bot"
    assert relayed == [f"{tg.base_url}/bot{tg.token}/getMe"]


async def test_a_slow_steady_download_is_not_cut_short() -> None:
    """Each chunk within the read timeout, the whole well past all three timeouts added up:
    as with httpx, only a pause longer than the read timeout ends it."""

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(8):
            await response.write(b"x" * 1000)
            await asyncio.sleep(0.4)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/file/bot123:abc/documents/big.xlsx", trickle)
    request = AiohttpRequest(read_timeout=1.0, write_timeout=0.5, connect_timeout=0.5)
    async with serving(app) as port:
        await request.initialize()
        try:
            url = f"http://127.0.0.1:{port}/file/bot123:abc/documents/big.xlsx"
            assert await request.retrieve(url) == b"x" * 8000  # 3.2 s in all
        finally:
            await request.shutdown()


def test_an_upload_is_bounded_by_its_size() -> None:
    files = {"document": ("a.csv", b"x" * (UPLOAD_FLOOR * 10), "text/csv")}
    assert upload_deadline(20.0, 5.0, 5.0, files) == 40.0  # 30 s, and 10 s for its bytes
    assert upload_deadline(20.0, 5.0, 5.0, {}) is None  # no file: no bound on the whole
    assert upload_deadline(None, 5.0, 5.0, files) is None  # no write timeout: none


def test_pool_size_is_checked() -> None:
    with pytest.raises(ValueError):
        AiohttpRequest(connection_pool_size=0)
