"""`python -m bot backup` and `restore`: a backup taken while the database is in use brings
back everything written before it and nothing written after, on SQLite and PostgreSQL; bad
input is one line and a non-zero exit."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.ops.backup import _pg_connection, backup, restore
from bot.services.consortium_io import import_file
from bot.services.people import forget_person
from db.engine import Database
from db.migrate import current_revision, head_revision
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import run_cli

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


async def test_backup_then_restore(db_url: str, database: Database, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=db_url)  # type: ignore[call-arg]
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"), now=NOW)
    target = tmp_path / "synergy.backup"
    async with database.session() as busy:  # the bot holds a connection meanwhile
        await busy.connection()
        said = await asyncio.to_thread(backup, db_url, target)
    assert said.startswith(f"backed up the database to {target}") and target.stat().st_size
    async with database.transaction() as repos:  # after the backup
        chen = await repos.people.by_telegram_id(2001)
        nbu = await repos.parties.by_key("nbu")
        assert chen is not None and nbu is not None
        await forget_person(repos, chen)
        nbu.name = "Renamed after the backup"
    await database.dispose()  # the bot is stopped for a restore

    assert (
        await asyncio.to_thread(restore, db_url, target) == f"restored the database from {target}"
    )
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        nbu = await repos.parties.by_key("nbu")
        assert chen is not None and chen.name == "Chen Jie"
        assert nbu is not None and nbu.name == "Ningbo University"
        assert len(await repos.placements.of_student(chen.id)) == 1
    assert await current_revision(database.engine) == head_revision()


def test_cli_backup_restore_and_mistakes(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"}
    (tmp_path / "c.yaml").write_text(SAMPLE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("import", "c.yaml", cwd=tmp_path, env=db).returncode == 0
    taken = run_cli("backup", "b.sqlite3", cwd=tmp_path, env=db)
    assert taken.returncode == 0 and "backed up the database to b.sqlite3" in taken.stdout
    (tmp_path / "bot.sqlite3").unlink()  # the database is lost
    back = run_cli("restore", "b.sqlite3", cwd=tmp_path, env=db)
    assert back.returncode == 0, back.stderr
    assert back.stdout.splitlines()[-1] == f"database at revision {head_revision()}"
    assert "Chen Jie" in run_cli("people", cwd=tmp_path, env=db).stdout

    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    for args, message in (
        (("restore", "missing.sqlite3"), "error: there is no backup at missing.sqlite3"),
        (("restore", "notes.txt"), "error: notes.txt is not a backup of this bot's database"),
        (
            ("backup", "no-such-dir/x.backup"),
            "error: the folder no-such-dir does not exist: create it first (mkdir -p no-such-dir)",
        ),
    ):
        wrong = run_cli(*args, cwd=tmp_path, env=db)
        assert (wrong.returncode, wrong.stderr.strip()) == (1, message)


def test_a_password_goes_to_a_passfile_never_to_the_command_line() -> None:
    url = make_url("postgresql+asyncpg://bot:p'a:s\\s@db.example.org:6543/synergy")
    with _pg_connection(url) as connection:
        assert "p'a" not in connection and "db.example.org" in connection
        assert "host='db.example.org'" in connection and "dbname='synergy'" in connection
        passfile = Path(re.search(r"passfile='([^']+)'", connection).group(1))  # type: ignore[union-attr]
        assert passfile.stat().st_mode & 0o777 == 0o600
        assert passfile.read_text(encoding="utf-8") == (
            "db.example.org:6543:synergy:bot:p'a\\:s\\\\s\n"
        )
    assert not passfile.exists()  # gone once the program has run
