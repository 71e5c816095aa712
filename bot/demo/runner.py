"""Runs the demo: the fake Telegram and the real bot on a clock the script moves, the sample
consortium imported into a new SQLite file, then the month played (and, with `--serve`,
the playground kept open); the transcript and the bot's charts and files are saved.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings
from bot.demo.cast import START, people
from bot.demo.playground import MiniAppLinks, Playground, PortBusy, serving, until_stopped
from bot.demo.script import Demo, DemoError
from bot.fake_telegram import FakeTelegram, RateLimits
from bot.i18n import N_, Translations
from bot.runner import serve
from bot.services.consortium_io import import_file
from bot.telegram.ratelimit import TelegramRateLimiter

COORDINATOR, MENTOR, STUDENT = 1001, 1101, 2001  # the cast's Li Wei, Wang Fang, Chen Jie


def save_files(tg: FakeTelegram, out: Path) -> list[Path]:
    """Every chart and file the bot sent, into `out`, named as the bot named them."""
    saved = []
    for message in tg.sent:
        if message.raw.get("photo"):
            file_id = message.raw["photo"][-1]["file_id"]
            name = f"chart-{message.message_id}-{message.chat_id}.png"
        elif message.raw.get("document"):
            file_id = message.raw["document"]["file_id"]
            name = message.raw["document"]["file_name"]
            if message.chat_id != 1001:  # the coordinator's export; reports' files are inputs
                continue
        else:
            continue
        path = out / name
        path.write_bytes(tg.files[file_id][1])
        saved.append(path)
    return saved


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _settings(tg: FakeTelegram, out: Path, web_port: int = 0) -> Settings:
    """The demo's settings; with a `web_port` (the playground), the Mini App served there."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=SecretStr(tg.token),
        telegram_api_base_url=tg.base_url,
        database_url=f"sqlite+aiosqlite:///{out / 'demo.sqlite3'}",
        default_timezone="Asia/Shanghai",
        scheduler_tick_seconds=0.05,
        web_port=web_port,
        webapp_url=f"http://127.0.0.1:{web_port}/app/" if web_port else None,
    )


async def play(
    lang: str, out: Path, echo: Callable[[str], None], port: int | None = None
) -> tuple[list[str], list[Path]]:
    """Play the month into an empty folder `out`, printing the transcript through `echo`;
    the transcript's lines and the files saved. With a `port`, then keep the bot running
    behind the playground's page until Ctrl-C (see `bot.demo.playground`)."""
    t = Translations.load().for_language(lang)
    no_limits = RateLimits(None, None, None)
    async with FakeTelegram(rate_limits=no_limits) as tg:
        settings = _settings(tg, out, _free_port() if port is not None else 0)
        text = resources.files("bot.demo").joinpath("consortium.yaml").read_text("utf-8")
        await import_file(settings, text.replace("LANGUAGE", lang), now=START)
        clock = ManualClock(START)
        stop, ready = asyncio.Event(), asyncio.Event()
        # The demo's Telegram has no flood limits: people here answer at once, not once a
        # second, and the month would otherwise take minutes.
        limiter = TelegramRateLimiter(chat_gap=0.0, group=10_000)
        bot = asyncio.create_task(
            serve(settings, stop, clock=clock, ready=ready, poll_timeout=1, rate_limiter=limiter)
        )
        await asyncio.wait({bot, asyncio.create_task(ready.wait())}, return_when="FIRST_COMPLETED")
        if bot.done():
            bot.result()
        demo = Demo(tg, clock, t, lang, echo)
        try:
            if port is None:
                await demo.month()
            else:
                await _month_then_playground(demo, out, port, settings)
        finally:
            stop.set()
            await asyncio.wait_for(bot, 30)
        return demo.log.lines, save_files(tg, out)


async def _month_then_playground(demo: Demo, out: Path, port: int, settings: Settings) -> None:
    """The month, its files saved, then the playground open until Ctrl-C. The port is taken
    before the month is played, so a busy one fails at once (and the page can watch). The
    bot's Mini App runs beside it: its links, signed for a coordinator, a mentor and a
    student, are printed."""
    cast = people(demo.t)
    assert settings.webapp_url is not None
    links = MiniAppLinks(
        settings.webapp_url, demo.tg.token, demo.clock, {p.id: p.name for p in cast}, demo.lang
    )
    ground = Playground(
        demo.tg, demo.clock, demo.t, demo.lang, cast, "Asia/Shanghai", miniapp=links
    )
    async with serving(ground, port) as url:
        await demo.month()
        _save(out, demo.log.lines, save_files(demo.tg, out), demo.log.echo)
        ground.is_open = True
        line = demo.t.gettext("Playground: {url} (talk to the bot as anyone; Ctrl-C stops it)")
        print(line.format(url=url), flush=True)
        for person, role in (
            (COORDINATOR, N_("coordinator")),
            (MENTOR, N_("mentor")),
            (STUDENT, N_("student")),
        ):
            line = demo.t.gettext("Dashboard as the {role} {name}: {url}")
            name = next(p.name for p in cast if p.id == person)
            print(
                line.format(role=demo.t.gettext(role), name=name, url=links.link(person)),
                flush=True,
            )
        await until_stopped()


def _save(out: Path, lines: list[str], saved: list[Path], echo: Callable[[str], None]) -> None:
    (out / "transcript.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    echo("")
    echo(f"Saved in {out}: transcript.txt, demo.sqlite3 and")
    for path in saved:
        echo(f"  {path.name}")


def main(lang: str, out: Path, echo: Callable[[Any], None] = print, port: int | None = None) -> int:
    """Play the demo; 0 when the month played through, 1 (and one line) when it did not.
    With a `port`, the playground serves on it once the month is played, until Ctrl-C."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "demo.sqlite3").unlink(missing_ok=True)  # each run starts a new consortium
    try:
        lines, saved = asyncio.run(play(lang, out, echo, port))
    except DemoError as exc:
        print(f"error: the demo stopped: {exc}", file=sys.stderr)
        return 1
    except PortBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if port is None:
        _save(out, lines, saved, echo)
    return 0
