"""Settings: the only module that reads the environment (and `.env`)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///synergy-bot.sqlite3"
SUPPORTED_LANGUAGES = ("en", "zh")
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")


def _address(value: str | None, pattern: str, expected: str) -> str | None:
    """An optional URL setting: empty is unset, anything else must match `pattern`."""
    if not value:
        return None
    if not re.match(pattern, value):
        raise ValueError(f"expected {expected}")
    return value


class SettingsError(Exception):
    """A missing or malformed setting, told to the operator in one line."""


class Settings(BaseSettings):
    """Everything the bot can be configured with; see `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None)
    telegram_api_base_url: str | None = Field(default=None)
    telegram_proxy: str | None = Field(default=None)
    database_url: str = Field(default=DEFAULT_DATABASE_URL)
    default_timezone: str = Field(default="UTC")
    default_language: Literal["en", "zh"] = Field(default="en")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO")
    log_format: Literal["text", "json"] = Field(default="text")
    invite_days: int = Field(default=7, ge=1, le=365)
    scheduler_tick_seconds: float = Field(default=10.0, ge=0.05, le=300)
    rate_limit_margin: float = Field(default=0.01, ge=0.0, le=0.5)
    rate_limit_chat_gap: float = Field(default=1.0, ge=0.0, le=5.0)
    report_retention_days: int = Field(default=0, ge=0, le=36500)
    concurrent_updates: int = Field(default=16, ge=1, le=256)
    bot_mode: Literal["polling", "webhook"] = Field(default="polling")
    webhook_url: str | None = Field(default=None)
    webhook_listen: str = Field(default="127.0.0.1")
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = Field(default=None)
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_listen: str = Field(default="127.0.0.1")
    health_port: int = Field(default=0, ge=0, le=65535)
    lease_seconds: float = Field(default=10.0, ge=1.0, le=300.0)
    lease_renew_seconds: float = Field(default=2.0, ge=0.1, le=60.0)

    @field_validator("telegram_proxy")
    @classmethod
    def _telegram_proxy(cls, value: str | None) -> str | None:
        return _address(
            value,
            r"^https?://[^\s/]+/?$",
            "an HTTP proxy's address, e.g. http://proxy.example.com:3128",
        )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _address(
            value,
            r"^https?://[^\s/]+(/\S*)?$",
            "the public address Telegram posts to, e.g. https://bot.example.org/telegram",
        )

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^[A-Za-z0-9_-]{16,256}$", value.get_secret_value()):
            raise ValueError("expected 16-256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.bot_mode == "webhook":
            if self.webhook_url is None:
                raise ValueError("WEBHOOK_URL is required when BOT_MODE=webhook")
            if self.webhook_secret is None:
                raise ValueError("WEBHOOK_SECRET is required when BOT_MODE=webhook")
        return self

    @model_validator(mode="after")
    def _lease_renewed_in_time(self) -> Settings:
        if self.lease_seconds < 3 * self.lease_renew_seconds:
            raise ValueError(
                "LEASE_SECONDS must be at least 3 times LEASE_RENEW_SECONDS "
                "(a leader renews several times before its lease runs out)"
            )
        return self

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("expected the form 123456:ABC-DEF... that @BotFather gives")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        address = _address(value, r"^https?://[^\s/]+", "an http:// or https:// address")
        return None if address is None else address.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
            )
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def require_token(self) -> str:
        """The bot token, or a SettingsError when running needs it and it is missing."""
        if self.telegram_bot_token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env "
                "(see .env.example)"
            )
        return self.telegram_bot_token.get_secret_value()

    @property
    def api_base_url(self) -> str:
        """Where Bot API methods are called: `{base}/bot<token>/<method>`."""
        return f"{self.telegram_api_base_url or 'https://api.telegram.org'}/bot"

    def api_proxy(self) -> str | None:
        """The proxy between the bot and the Bot API: TELEGRAM_PROXY, else the one the
        environment names for the API's scheme (HTTPS_PROXY, ALL_PROXY) unless NO_PROXY
        exempts its host, as PTB's own HTTP client reads them."""
        if self.telegram_proxy:
            return self.telegram_proxy
        parts = urlsplit(self.api_base_url)
        proxies = getproxies_environment()
        proxy = proxies.get(parts.scheme) or proxies.get("all")
        if not proxy or (parts.hostname and proxy_bypass(parts.hostname)):
            return None
        if not re.match(r"^https?://", proxy):
            raise SettingsError(
                f"the environment's proxy for {parts.scheme} is not an HTTP proxy ({proxy}): "
                "set TELEGRAM_PROXY=http://... (most SOCKS clients offer an HTTP port too)"
            )
        return proxy

    @property
    def api_file_url(self) -> str:
        """Where files are downloaded: `{base}/file/bot<token>/<path>`."""
        return f"{self.telegram_api_base_url or 'https://api.telegram.org'}/file/bot"


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read settings; raise SettingsError naming the first bad setting in one line."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {message} (see .env.example)") from None


def opt_in_library_defaults() -> None:
    """Opt in to python-telegram-bot's coming defaults (durations as `timedelta`, PTB 22.2+).

    Without it PTB warns on every 429 it parses; with it `RetryAfter.retry_after` is a
    `timedelta`, which is what the next major version will give anyway.
    """
    os.environ.setdefault("PTB_TIMEDELTA", "1")
