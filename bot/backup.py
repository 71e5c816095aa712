"""`python -m bot backup FILE` and `python -m bot restore FILE`: the whole database, taken
consistently while the bot runs, and put back.

SQLite: the online backup API of SQLite itself (a consistent copy even while the bot writes,
WAL included), into a SQLite file. PostgreSQL: `pg_dump --format=custom` and `pg_restore
--clean` in one transaction (the PostgreSQL client programs must be installed). A restore
replaces everything in the database at DATABASE_URL; `python -m bot` then upgrades it to the
newest migration, so a backup taken before an upgrade restores too.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(url.database)


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL client programs, and their environment."""
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(program: str, args: list[str], env: dict[str, str]) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([program, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{program} failed: {last}")


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the database to `target`; a line saying what was written."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_file(url)
        if not source_path.exists():
            raise BackupError(f"there is no database at {source_path}")
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(
            "pg_dump",
            [
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target),
                url.database or "postgres",
            ],
            env,
        )
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    return f"backed up the database to {target} ({target.stat().st_size:,} bytes)"


def restore(database_url: str, source: Path) -> str:
    """Replace the database's content with the backup in `source`."""
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target_path = _sqlite_file(url)
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                backup_db.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError:
                raise BackupError(f"{source} is not a backup of this bot's database") from None
            target = sqlite3.connect(target_path)
            try:
                backup_db.backup(target)  # replaces the whole file's content, atomically
            finally:
                target.close()
        finally:
            backup_db.close()
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(
            "pg_restore",
            [
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--dbname",
                url.database or "postgres",
                str(source),
            ],
            env,
        )
    else:
        raise BackupError(f"cannot restore a {url.get_backend_name()} database")
    return f"restored the database from {source}"
