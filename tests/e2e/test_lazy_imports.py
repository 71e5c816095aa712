"""Start-up does not load the analytics libraries (the first analytics call does), nor Alembic
when the database is up to date."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from db.migrate import HEAD

SCRIPT = """
import json, sys
from bot.app import build_application
from bot.config import Settings
import bot.__main__, bot.runner

settings = Settings(
    _env_file=None,
    telegram_bot_token="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi",
    database_url="sqlite+aiosqlite:///:memory:",
)
build_application(settings)

def loaded(name):  # a lazy module is of its own type until its first attribute read
    return type(sys.modules.get(name)).__name__ == "module"

names = ("pandas", "numpy", "openpyxl")
at_start = {name: loaded(name) for name in names}
from bot.domain.capability import ModelRules, count_disagreements
from bot.renderers.credits import transcript_xlsx
import pandas as pd
frame = pd.DataFrame(
    {"student": [1, 1], "week": pd.to_datetime(["2026-09-07"] * 2),
     "party_kind": ["university", "enterprise"], "tech_rd": [10.0, 90.0],
     "cross_cultural": [50.0, 55.0], "rule_adaptation": [None, 70.0]}
)
flagged = count_disagreements(frame, ModelRules(disagreement=20))
print(json.dumps({"at_start": at_start, "after": {n: loaded(n) for n in names[:2]},
                  "flagged": flagged, "alembic": "alembic" in sys.modules}))
"""


def test_start_up_leaves_pandas_numpy_and_openpyxl_for_their_first_use() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["at_start"] == {"pandas": False, "numpy": False, "openpyxl": False}
    assert found["after"] == {"pandas": True, "numpy": True}
    assert found["flagged"] == 1  # tech_rd spreads 80 points; the rest within 20
    assert found["alembic"] is False


MIGRATE = """
import asyncio, json, sys
from db.engine import Database
from db.migrate import current_revision, upgrade

async def main(url):
    database = Database.from_url(url)
    await upgrade(database.engine)
    revision = await current_revision(database.engine)
    await database.dispose()
    return revision

revision = asyncio.run(main(sys.argv[1]))
print(json.dumps({"revision": revision, "alembic": "alembic" in sys.modules}))
"""


def test_alembic_is_loaded_only_when_there_is_something_to_migrate(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"

    def start() -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", MIGRATE, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert start() == {"revision": HEAD, "alembic": True}  # a new database: migrated
    assert start() == {"revision": HEAD, "alembic": False}  # up to date: one query
