"""A fake Telegram Bot API server for tests and the demo (never used against real Telegram)."""

from bot.fake_telegram.server import (
    FakeGroup,
    FakeTelegram,
    FakeTopic,
    FakeUser,
    Fault,
    RateLimits,
    SentMessage,
)

__all__ = [
    "FakeGroup",
    "FakeTelegram",
    "FakeTopic",
    "FakeUser",
    "Fault",
    "RateLimits",
    "SentMessage",
]
