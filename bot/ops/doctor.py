"""`python -m bot doctor`: checks settings, the database, its migrations, the consortium, the
outbox, the Bot API and the fonts the charts need, and says what to fix. Nothing is
changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx

from bot.config import Settings
from db.engine import Database
from db.migrate import current_revision, head_revision

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass(frozen=True)
class Check:
    status: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.name}: {self.detail}"


def _where(url: str) -> str:
    """The database's address without a password."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url


async def _database(settings: Settings, now: dt.datetime) -> list[Check]:
    database = Database.from_url(settings.database_url)
    checks: list[Check] = []
    try:
        try:
            await database.ping()
        except Exception as exc:  # any driver's error: say it and stop checking the database
            cause = getattr(exc, "orig", None) or exc
            return [
                Check(
                    FAIL,
                    "database",
                    f"cannot connect to {_where(settings.database_url)}: {cause} "
                    "(check DATABASE_URL and that the server runs)",
                )
            ]
        checks.append(Check(OK, "database", f"connected to {_where(settings.database_url)}"))
        current, head = await current_revision(database.engine), head_revision()
        if current == head:
            checks.append(Check(OK, "migrations", f"at {head}, the newest"))
        else:
            checks.append(
                Check(
                    FAIL,
                    "migrations",
                    f"at {current or 'none'}, the newest is {head}: run `python -m bot migrate` "
                    "(the bot also upgrades when it starts)",
                )
            )
            return checks
        async with database.transaction() as repos:
            consortium = await repos.consortium.get()
            if consortium is None:
                checks.append(
                    Check(
                        WARN,
                        "consortium",
                        "none imported yet: `python -m bot import examples/consortium.yaml` "
                        "(your own file)",
                    )
                )
            else:
                parties = len(await repos.parties.all())
                checks.append(Check(OK, "consortium", f"{consortium.name}: {parties} parties"))
            pending, oldest, failed = await repos.outbox.health()
        age = now - oldest.replace(tzinfo=dt.UTC) if oldest is not None else None
        detail = f"{pending} waiting, {failed} failed"
        if age is not None and age > dt.timedelta(hours=1):
            hours = age.total_seconds() / 3600
            checks.append(
                Check(
                    WARN,
                    "outbox",
                    f"{detail}; the oldest has waited {hours:.1f} h: is the bot running, "
                    "and can it reach the Bot API?",
                )
            )
        else:
            checks.append(Check(OK, "outbox", detail))
    finally:
        await database.dispose()
    return checks


async def _bot_api(settings: Settings) -> list[Check]:
    if settings.telegram_bot_token is None:
        return [
            Check(
                FAIL,
                "token",
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env",
            )
        ]
    token = settings.telegram_bot_token.get_secret_value()
    base = settings.api_base_url
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            me = (await client.get(f"{base}{token}/getMe")).json()
            hook = (await client.get(f"{base}{token}/getWebhookInfo")).json()
    except (httpx.HTTPError, ValueError) as exc:
        return [
            Check(
                FAIL,
                "bot api",
                f"cannot reach {settings.telegram_api_base_url or 'https://api.telegram.org'}: "
                f"{type(exc).__name__} (check TELEGRAM_API_BASE_URL and the network)",
            )
        ]
    if not me.get("ok"):
        return [
            Check(
                FAIL,
                "bot api",
                f"Telegram refused the token ({me.get('description', 'no reason')}): "
                "copy it again from @BotFather",
            )
        ]
    checks = [Check(OK, "bot api", f"@{me['result'].get('username')} answers")]
    url = (hook.get("result") or {}).get("url")
    if url:
        checks.append(
            Check(WARN, "webhook", f"set to {url}; polling removes it when the bot starts")
        )
    return checks


def _chart_font() -> Check:
    """Chinese chart labels need a CJK font; without one they are drawn in English. A
    warning, not a failure: an English-only consortium does not need it."""
    from bot.renderers.charts import CJK_FAMILIES, cjk_font

    family = cjk_font()
    if family is not None:
        return Check(OK, "chart font", f"{family}: charts can be drawn in Chinese")
    return Check(
        WARN,
        "chart font",
        f"no CJK font ({', '.join(CJK_FAMILIES[:2])}, ...): charts for Chinese readers are "
        "drawn in English; install one (Debian: apt-get install fonts-noto-cjk) and restart "
        "the bot",
    )


async def diagnose(settings: Settings, now: dt.datetime | None = None) -> list[Check]:
    moment = now or dt.datetime.now(dt.UTC)
    return [
        Check(OK, "settings", f"read (time zone {settings.default_timezone})"),
        *await _database(settings, moment),
        *await _bot_api(settings),
        _chart_font(),
    ]
