"""Helpers for the Mini App's tests: launch data signed by hand (HMAC-SHA256 as Telegram
documents it, not through `bot.web.auth`), and the running bot with its web server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bot.clock import ManualClock
from bot.config import Settings
from db.engine import Database
from db.models import Assessment, PartyKind
from tests.e2e.conftest import RunningBot
from tests.factories import submitted_report


def sign(
    token: str,
    user_id: int,
    *,
    name: str = "Someone",
    language: str = "en",
    auth_date: dt.datetime,
    forge: bool = False,
) -> str:
    """Telegram's `initData` for this user: the fields, and the hash over the sorted
    data-check-string under HMAC-SHA256("WebAppData", token)."""
    user = {"id": user_id, "first_name": name, "language_code": language}
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if forge:
        digest = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    return urlencode({**fields, "hash": digest})


def fragment(init_data: str, theme: dict[str, str] | None = None) -> str:
    """The fragment Telegram opens a Mini App with."""
    params = {"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": "tdesktop"}
    if theme is not None:
        params["tgWebAppThemeParams"] = json.dumps(theme)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def with_web(settings: Settings, **extra: Any) -> Settings:
    return settings.model_copy(update={"web_port": free_port(), **extra})


class MiniApp:
    """The running bot's Mini App, called as the page calls it."""

    def __init__(self, bot: RunningBot, settings: Settings, clock: ManualClock) -> None:
        self.bot, self.settings, self.clock = bot, settings, clock
        self.base = f"http://127.0.0.1:{settings.web_port}"
        self.client = httpx.AsyncClient(base_url=self.base, timeout=10)

    def init_data(self, user_id: int, **kwargs: Any) -> str:
        kwargs.setdefault("auth_date", self.clock.now() - dt.timedelta(minutes=1))
        assert self.settings.telegram_bot_token is not None
        return sign(self.settings.telegram_bot_token.get_secret_value(), user_id, **kwargs)

    async def get(self, path: str, user_id: int | None, **params: Any) -> httpx.Response:
        headers = {} if user_id is None else {"Authorization": f"tma {self.init_data(user_id)}"}
        return await self.client.get(f"/app/api/{path}", params=params, headers=headers)

    async def post(self, path: str, user_id: int, body: Any) -> httpx.Response:
        headers = {"Authorization": f"tma {self.init_data(user_id)}"}
        return await self.client.post(f"/app/api/{path}", json=body, headers=headers)


CHEN, WANG = 2001, 1101


async def waiting_report(database: Database, clock: ManualClock) -> int:
    """A report of Chen Jie's, submitted and waiting for Wang Fang's (enterprise) scores."""
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(CHEN)
        wang = await repos.people.by_telegram_id(WANG)
        assert chen is not None and wang is not None
        week = dt.date(2026, 10, 26)
        report = submitted_report(chen.id, week, clock.now(), activities="<b>Robots</b> & kids")
        await repos.reports.add(report)
        assessment = Assessment(
            student_id=chen.id,
            week=week,
            party_kind=PartyKind.ENTERPRISE,
            report_id=report.id,
            mentor_id=wang.id,
            requested_at=clock.now(),
        )
        await repos.assessments.add(assessment)
        return assessment.id
