"""End to end: the bot in webhook mode, with Telegram (the fake) posting updates to it."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings, SettingsError, load_settings
from bot.fake_telegram import FakeTelegram
from tests.e2e.conftest import RunningBot, started

SECRET = "s3cret-token-for-the-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_with_a_secret(
    tg: FakeTelegram, settings: Settings, clock: ManualClock, sample_consortium: None
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    hooked = settings.model_copy(
        update={
            "bot_mode": "webhook",
            "webhook_url": url,
            "webhook_port": port,
            "webhook_secret": SecretStr(SECRET),
        }
    )
    bot = RunningBot(hooked, clock)
    await bot.start()
    try:
        assert (tg.webhook_url, tg.webhook_secret) == (url, SECRET)
        chen = await started(tg, 2001, "Chen Jie")  # /start reaches the bot by a post
        chen.send("/whoami")
        assert "Chen Jie" in (await chen.next_message()).text
        assert tg.count_calls("getUpdates") == 0 and 200 in tg.webhook_answers

        forged = {
            "update_id": 990001,
            "message": {
                "message_id": 99,
                "date": int(time.time()),
                "chat": {"id": 2001, "type": "private", "first_name": "Chen Jie"},
                "from": {"id": 2001, "is_bot": False, "first_name": "Chen Jie"},
                "text": "/whoami",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            },
        }
        # Answered only once handled: when the post returns, the reply has been sent (a
        # replica that died before answering would see Telegram post the update again).
        assert await tg.post_to_webhook(forged, SECRET) == 200
        assert len(tg.unread(2001)) == 1 and "Chen Jie" in tg.unread(2001)[0].text
        await chen.next_message()
        assert await tg.post_to_webhook(forged, SECRET) == 200  # sent again: handled once
        await asyncio.sleep(0.3)
        assert tg.unread(2001) == []
        forged["update_id"] += 1
        assert await tg.post_to_webhook(forged, "a-wrong-secret-token") == 403
        assert await tg.post_to_webhook(forged, None) == 403
        await asyncio.sleep(0.5)
        assert tg.unread(2001) == []  # refused: nothing happened
    finally:
        await bot.stop()


def test_webhook_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_URL is required when BOT_MODE=webhook"):
        load_settings(None, bot_mode="webhook", webhook_secret=SECRET)
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is required"):
        load_settings(None, bot_mode="webhook", webhook_url="https://bot.example.org/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is invalid: expected 16-256"):
        load_settings(None, webhook_secret="short")
    with pytest.raises(SettingsError, match="WEBHOOK_URL is invalid"):
        load_settings(None, webhook_url="bot.example.org")
    ok = load_settings(
        None, bot_mode="webhook", webhook_url="https://bot.example.org/hook", webhook_secret=SECRET
    )
    assert ok.bot_mode == "webhook" and ok.webhook_port == 8443
