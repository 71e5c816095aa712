"""The Mini App at scale: the 10,000-student cohort of `benchmarks.analytics` (52 weeks of
scores from four parties, 2.08 million assessment rows, in SQLite), served by the real web
server (`bot.web.server`, built around `build_application`, over HTTP on 127.0.0.1):

- server time per API call as the page makes them (median and p95 of the round trip):
  the cohort's summary (cached under the data version; its first, uncached computation
  timed apart), the roster filtered, a student's page, the frame (`me`);
- after a score is written (the version raised), the next summary: recomputed;
- the page's weight: every asset as served gzip-compressed;
- first render in headless Chromium (when installed): from navigation to the Cohort view
  drawn for a coordinator.

Targets: under 200 ms (median and p95) for the cohort summary and a student's page; under
500 KB for the page. `python -m benchmarks.miniapp [--students N]` prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.analytics import STUDENTS, cohort_frame, insert_assessments
from bot.web.auth import signed_init_data

TARGET_SECONDS, TARGET_BYTES = 0.200, 500 * 1024
TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWxyz0123456789"
NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
COORDINATOR = 1
CALLS = 40


def build(path: Path, students: int) -> None:
    """The cohort in a migrated SQLite file, and a coordinator (Telegram id 1)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from db.migrate import upgrade

    async def migrate() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    frame = cohort_frame(students)
    db = sqlite3.connect(path)
    stamp = "2026-01-01 00:00:00.000000"
    db.executemany(
        "INSERT INTO person (id, telegram_id, name, can_message) VALUES (?, ?, ?, 0)",
        [(i, 10_000_000 + i, f"Student {i:05d}") for i in range(1, students + 1)],
    )
    db.execute(
        "INSERT INTO person (id, telegram_id, name, can_message) VALUES (?, ?, 'Coordinator', 0)",
        (students + 1, COORDINATOR),
    )
    db.executemany(
        "INSERT INTO party (id, key, name, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (1, "site-a", "Site A", "overseas_site", stamp, stamp),
            (2, "site-b", "Site B", "overseas_site", stamp, stamp),
            (3, "uni", "University", "university", stamp, stamp),
        ],
    )
    db.execute(
        "INSERT INTO membership (person_id, party_id, role, created_at, updated_at) "
        "VALUES (?, 3, 'coordinator', ?, ?)",
        (students + 1, stamp, stamp),
    )
    db.executemany(
        "INSERT INTO membership (person_id, party_id, role, created_at, updated_at) "
        "VALUES (?, 3, 'student', ?, ?)",
        [(i, stamp, stamp) for i in range(1, students + 1)],
    )
    insert_assessments(db, frame)
    db.executemany(
        "INSERT INTO placement (student_id, site_id, start_date, end_date, created_at, "
        "updated_at) VALUES (?, ?, '2025-09-01', '2026-08-28', ?, ?)",
        [(i, 1 + i % 2, stamp, stamp) for i in range(1, students + 1)],
    )
    db.commit()
    db.close()


def _stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


async def serve_and_measure(path: Path, students: int) -> dict[str, Any]:
    from bot.app import build_application
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.web.server import WebServer, load_assets

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url="http://127.0.0.1:9",  # never called
        database_url=f"sqlite+aiosqlite:///{path}",
        webapp_requests_per_minute=10_000,
    )
    application = build_application(settings, clock=ManualClock(NOW))
    server = WebServer(application)
    await server.start("127.0.0.1", 0)
    user = {"id": COORDINATOR, "first_name": "Coordinator", "language_code": "en"}
    init = signed_init_data(TOKEN, user, NOW)
    headers = {"Authorization": f"tma {init}"}
    base = f"http://127.0.0.1:{server.port}"
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:

        async def timed(path: str, **params: Any) -> float:
            started = time.perf_counter()
            response = await client.get(path, params=params)
            response.raise_for_status()
            return time.perf_counter() - started

        results["cohort_first"] = await timed("/app/api/cohort")
        results["cohort"] = _stats([await timed("/app/api/cohort") for _ in range(CALLS)])
        results["roster"] = _stats(
            [await timed("/app/api/cohort/students", site="Site A") for _ in range(CALLS)]
        )
        picks = np.random.default_rng(7).integers(1, students + 1, CALLS + 1)
        student_times = [
            await timed("/app/api/student", id=str(10_000_000 + int(i))) for i in picks
        ]
        results["student"] = _stats(student_times[1:])  # the first warms the imports
        results["me"] = _stats([await timed("/app/api/me") for _ in range(CALLS)])
        # A score written: the version goes up, the next summary is computed again.
        from bot.context import SERVICES_KEY

        services = application.bot_data[SERVICES_KEY]
        async with services.database.transaction() as repos:
            first = await repos.assessments.get(1)
            assert first is not None
            first.tech_rd = 99
        results["cohort_after_change"] = await timed("/app/api/cohort")
        assets = load_assets()
        results["page_bytes"] = sum(len(a.gzipped) for a in assets.values())
        results["page_raw_bytes"] = sum(len(a.body) for a in assets.values())
        results["first_render"] = await asyncio.to_thread(first_render, base, init)
    await server.stop()
    await services.database.dispose()
    return results


def first_render(base: str, init: str) -> float | None:
    """Seconds from navigation to the Cohort view drawn, in headless Chromium (None without)."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        return None
    from urllib.parse import quote

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.wait import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        url = f"{base}/app/#tgWebAppData={quote(init, safe='')}&tgWebAppVersion=8.0"
        driver.get(f"{base}/app/icon.svg")  # the browser started, nothing of the page cached
        started = time.perf_counter()
        driver.get(url)
        WebDriverWait(driver, 60, 0.02).until(
            lambda d: d.find_element("css selector", "body").get_attribute("data-state") == "ready"
        )
        return time.perf_counter() - started
    finally:
        driver.quit()


def measure(students: int = STUDENTS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cohort.sqlite3"
        started = time.perf_counter()
        build(path, students)
        built = time.perf_counter() - started
        results = asyncio.run(serve_and_measure(path, students))
        results["build_seconds"] = built
        return results


def report(students: int = STUDENTS) -> str:
    r = measure(students)
    ms = lambda s: f"{s * 1000:.1f}"  # noqa: E731
    lines = [
        f"Mini App, {students:,} students (SQLite), round trips over HTTP on 127.0.0.1:",
        "",
        "| call | median ms | p95 ms |",
        "|---|---|---|",
        f"| cohort summary (cached) | {ms(r['cohort']['median'])} | {ms(r['cohort']['p95'])} |",
        f"| cohort summary, first (computed) | {ms(r['cohort_first'])} | |",
        f"| cohort summary after a score changed | {ms(r['cohort_after_change'])} | |",
        f"| roster filtered by site | {ms(r['roster']['median'])} | {ms(r['roster']['p95'])} |",
        f"| a student's page | {ms(r['student']['median'])} | {ms(r['student']['p95'])} |",
        f"| me (the frame, texts) | {ms(r['me']['median'])} | {ms(r['me']['p95'])} |",
        "",
        f"page weight, gzip: {r['page_bytes'] / 1024:.1f} KB "
        f"({r['page_raw_bytes'] / 1024:.1f} KB uncompressed)",
        "first render in headless Chromium (navigation to the Cohort view drawn): "
        + (f"{ms(r['first_render'])} ms" if r["first_render"] is not None else "no Chromium"),
    ]
    holds = (
        max(r["cohort"]["p95"], r["student"]["p95"]) < TARGET_SECONDS
        and r["page_bytes"] < TARGET_BYTES
    )
    lines.append(
        "target (cohort summary and a student's page under 200 ms at p95, page under "
        f"500 KB): {'HOLDS' if holds else 'MISSED'}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=STUDENTS)
    print(report(parser.parse_args().students))


if __name__ == "__main__":
    main()
