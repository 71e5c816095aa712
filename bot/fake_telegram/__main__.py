"""Run the fake Telegram on its own: `python -m bot.fake_telegram [--port P] [--groups N]`.

It prints `READY <base url>` once listening, and answers `GET /_stats` with what it saw
(messages sent, errors by status). Benchmarks run it as a separate process, as Telegram is.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections import Counter

from aiohttp import web

from bot.fake_telegram import FakeTelegram, RateLimits

GROUP_BASE = -1003000000000


async def serve(
    port: int,
    groups: int,
    latency: float,
    token: str | None,
    limits: bool = True,
    users: list[range] | None = None,
) -> None:
    rate_limits = None if limits else RateLimits(None, None, None)
    named = {"token": token} if token else {}
    fake = FakeTelegram(latency=latency, rate_limits=rate_limits, **named)
    for i in range(groups):
        fake.group(GROUP_BASE - i, f"G{i}").chat.bot_member = True
    for user_id in (u for span in users or [] for u in span):
        fake.user(user_id, f"User {user_id}")
        fake._started.add(user_id)  # they pressed Start: the bot may write to them

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "sent": len(fake.sent),
                "errors": {
                    str(code): n for code, n in Counter(c for _, c, _ in fake.errors).items()
                },
                "calls": dict(Counter(method for method, _ in fake.calls)),
                "limited": dict(fake.limited),
            }
        )

    app = web.Application()
    app.router.add_get("/_stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await fake.start(port)
    stats_site = web.TCPSite(runner, "127.0.0.1", 0)
    await stats_site.start()
    host, stats_port = runner.addresses[0][:2]
    print(f"READY {fake.base_url} http://{host}:{stats_port}/_stats {fake.token}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await fake.stop()
    await runner.cleanup()


def _span(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.fake_telegram")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--groups", type=int, default=0, help="groups the bot is already in")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--token", default=None)
    parser.add_argument(
        "--no-limits", action="store_true", help="answer every request: no flood limits, no 429"
    )
    parser.add_argument(
        "--users",
        type=_span,
        action="append",
        metavar="FIRST-LAST",
        help="people (Telegram ids) who pressed Start; repeat for more ranges",
    )
    arguments = parser.parse_args()
    asyncio.run(
        serve(
            arguments.port,
            arguments.groups,
            arguments.latency,
            arguments.token,
            limits=not arguments.no_limits,
            users=arguments.users,
        )
    )


if __name__ == "__main__":
    main()
