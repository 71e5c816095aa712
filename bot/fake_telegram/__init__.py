"""A fake Telegram Bot API server for tests and the demo (never used against real Telegram)."""

from bot.fake_telegram.people import FakeGroup, FakeTopic, FakeUser
from bot.fake_telegram.server import FakeTelegram
from bot.fake_telegram.state import Fault, RateLimits, SentMessage

__all__ = [
    "FakeGroup",
    "FakeTelegram",
    "FakeTopic",
    "FakeUser",
    "Fault",
    "RateLimits",
    "SentMessage",
]
