"""The Mini App's On-call view at scale: 20 parties of 6 contacts each on weekly rotations
with overrides, 5,000 questions over the last 60 days (a fifth still open), in SQLite,
served by the real web server over HTTP on 127.0.0.1. Timed as round trips, median and
p95: a coordinator's call (duty, four-week calendar, every open question, the medians)
and a contact's (their party's questions). Target as the other views: under 200 ms.
`python -m benchmarks.miniapp_oncall` prints a table."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.miniapp import TOKEN, _stats
from bot.web.auth import signed_init_data

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
PARTIES, CONTACTS, QUESTIONS, CALLS = 20, 6, 5_000, 40
COORDINATOR, CONTACT = 1, 1_000


async def build(url: str) -> None:
    from bot.domain.kinds import PartyKind, RequestState, Role
    from db.engine import Database
    from db.migrate import upgrade
    from db.models import LiaisonRequest, OncallOverride, OncallPolicy, Party, Person

    database = Database.from_url(url)
    await upgrade(database.engine)
    async with database.transaction() as repos:
        coordinator = await repos.people.add(Person(telegram_id=COORDINATOR, name="Coordinator"))
        kinds = list(PartyKind)
        for p in range(PARTIES):
            party = Party(key=f"p{p}", name=f"Party {p}", kind=kinds[p % len(kinds)])
            party.timezone = "Asia/Shanghai"
            repos.session.add(party)
            await repos.session.flush()
            if p == 0:
                await repos.memberships.add(coordinator.id, party.id, Role.COORDINATOR)
            contacts = []
            for c in range(CONTACTS):
                person = await repos.people.add(
                    Person(telegram_id=CONTACT + p * 100 + c, name=f"Contact {p}.{c}")
                )
                await repos.memberships.add(person.id, party.id, Role.CONTACT)
                contacts.append(person.id)
            await repos.oncall.add_policy(
                OncallPolicy(party_id=party.id, starts_on=dt.date(2025, 12, 1), escalation=[])
            )
            await repos.oncall.set_rotation(party.id, contacts)
            for o in range(4):
                start = NOW + dt.timedelta(days=3 + 5 * o, hours=p % 7)
                repos.session.add(
                    OncallOverride(
                        party_id=party.id,
                        person_id=contacts[-1 - o],
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=10),
                        created_by_id=coordinator.id,
                    )
                )
            for q in range(QUESTIONS // PARTIES):
                opened = NOW - dt.timedelta(minutes=17 * (q * PARTIES + p) % (60 * 24 * 60))
                done = q % 5 != 0
                repos.session.add(
                    LiaisonRequest(
                        party_id=party.id,
                        asker_id=coordinator.id,
                        chat_id=-100,
                        question_message_id=q,
                        question=f"Question {q} of party {p}?",
                        state=RequestState.CLOSED if done else RequestState.OPEN,
                        contact_id=contacts[0],
                        opened_at=opened,
                        acknowledged_at=opened + dt.timedelta(minutes=5 + q % 50) if done else None,
                        answered_at=opened + dt.timedelta(hours=1 + q % 9) if done else None,
                        escalations=q % 3,
                    )
                )
    await database.dispose()


async def measure() -> dict[str, Any]:
    from bot.app import build_application
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.context import SERVICES_KEY
    from bot.web.server import WebServer

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'oncall.db'}"
        started = time.perf_counter()
        await build(url)
        built = time.perf_counter() - started
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=TOKEN,
            telegram_api_base_url="http://127.0.0.1:9",  # never called
            database_url=url,
            webapp_requests_per_minute=10_000,
        )
        application = build_application(settings, clock=ManualClock(NOW))
        server = WebServer(application)
        await server.start("127.0.0.1", 0)
        results: dict[str, Any] = {"build_seconds": built}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            for name, user_id in (("coordinator", COORDINATOR), ("contact", CONTACT)):
                user = {"id": user_id, "first_name": name, "language_code": "en"}
                headers = {"Authorization": f"tma {signed_init_data(TOKEN, user, NOW)}"}
                times = []
                for _ in range(CALLS + 1):
                    begin = time.perf_counter()
                    response = await client.get("/app/api/oncall", headers=headers, timeout=60)
                    response.raise_for_status()
                    times.append(time.perf_counter() - begin)
                results[name] = _stats(times[1:])  # the first warms the imports
                results[f"{name}_questions"] = len(response.json().get("questions", []))
                results[f"{name}_bytes"] = len(response.content)
        await server.stop()
        await application.bot_data[SERVICES_KEY].database.dispose()
    return results


def main() -> None:
    r = asyncio.run(measure())
    print(f"built in {r['build_seconds']:.1f} s")
    print("| caller | open questions | body KB | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for name in ("coordinator", "contact"):
        print(
            f"| {name} | {r[f'{name}_questions']} | {r[f'{name}_bytes'] / 1024:.1f} "
            f"| {1000 * r[name]['median']:.1f} | {1000 * r[name]['p95']:.1f} |"
        )


if __name__ == "__main__":
    main()
