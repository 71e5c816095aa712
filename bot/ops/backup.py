"""`python -m bot backup FILE` and `python -m bot restore FILE`: the whole database, taken
consistently while the bot runs, and put back.

SQLite: the online backup API of SQLite itself (a consistent copy even while the bot writes,
WAL included), into a SQLite file. PostgreSQL: `pg_dump --format=custom` and `pg_restore
--clean` in one transaction (the PostgreSQL client programs must be installed). A restore
replaces everything in the database at DATABASE_URL; `python -m bot` then upgrades it to the
newest migration, so a backup taken before an upgrade restores too.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names no SQLite file")
    return Path(url.database)


def _quoted(value: str) -> str:
    """A value in a libpq connection string."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _pgpass_field(value: str) -> str:
    """A field of a line of a libpq password file."""
    return value.replace("\\", "\\\\").replace(":", "\\:")


@contextlib.contextmanager
def _pg_connection(url: URL) -> Iterator[str]:
    """A libpq connection string for the client programs. A password goes into a passfile
    only this user can read, for as long as the program runs: never into the command line
    (which other users can see) or the environment."""
    host, port = url.host or "127.0.0.1", str(url.port or 5432)
    database, user = url.database or "postgres", url.username or ""
    fields = {"host": host, "port": port, "dbname": database, "connect_timeout": "10"}
    if user:
        fields["user"] = user
    with tempfile.TemporaryDirectory() as folder:
        if url.password:
            passfile = Path(folder) / "pgpass"
            entry = (host, port, database, user, str(url.password))
            passfile.write_text(":".join(map(_pgpass_field, entry)) + "\n", encoding="utf-8")
            passfile.chmod(0o600)
            fields["passfile"] = str(passfile)
        yield " ".join(f"{key}={_quoted(value)}" for key, value in fields.items())


def _run(program: str, args: list[str]) -> None:
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run([program, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{program} failed: {last}")


def _copy_sqlite(source: Path, target: Path, *, check: bool = False) -> None:
    """SQLite's online backup from `source` (opened read-only) into `target`, whose whole
    content it replaces at once; `check`: first make sure `source` is this bot's database."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if check:
            try:
                reader.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.DatabaseError:
                raise BackupError(f"{source} is not a backup of this bot's database") from None
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    finally:
        reader.close()


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the database to `target`; a line saying what was written."""
    url = make_url(database_url)
    if not target.parent.is_dir():
        raise BackupError(
            f"the folder {target.parent} does not exist: create it first (mkdir -p {target.parent})"
        )
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_file(url)
        if not source_path.exists():
            raise BackupError(f"there is no database at {source_path}")
        _copy_sqlite(source_path, target)
    elif url.get_backend_name() == "postgresql":
        with _pg_connection(url) as connection:
            _run(
                "pg_dump",
                [
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(target),
                    f"--dbname={connection}",
                ],
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
        _copy_sqlite(source, target_path, check=True)
    elif url.get_backend_name() == "postgresql":
        with _pg_connection(url) as connection:
            _run(
                "pg_restore",
                [
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    f"--dbname={connection}",
                    str(source),
                ],
            )
    else:
        raise BackupError(f"cannot restore a {url.get_backend_name()} database")
    return f"restored the database from {source}"
