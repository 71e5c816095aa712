"""The application reaches the database through `Repos` only: no module of bot/, handlers/
or jobs/ imports SQLAlchemy or touches a repository's session, so every statement the bot
runs is in db/ (a newcomer finds it there, and the benchmarks' query counts stay put)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
# Parses DATABASE_URL with SQLAlchemy's URL parser to find the file or server to copy; it
# runs no statement.
URL_PARSING = {"bot/backup.py", "bot/ops/backup.py"}


def _application() -> dict[str, ast.Module]:
    return {
        path.relative_to(ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for package in ("bot", "handlers", "jobs")
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def _session_uses(tree: ast.Module) -> list[int]:
    """Lines reading `<...>repos.session`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "repos":
                lines.append(node.lineno)
    return lines


def test_application_modules_import_no_sqlalchemy() -> None:
    found = {
        path: names
        for path, tree in _application().items()
        if path not in URL_PARSING
        and (names := [n for n in _imports(tree) if n.split(".")[0] == "sqlalchemy"])
    }
    assert found == {}, "the database is reached through db/ (db.repositories, db.errors)"


def test_application_modules_leave_the_session_to_repositories() -> None:
    found = {path: lines for path, tree in _application().items() if (lines := _session_uses(tree))}
    assert found == {}, "a statement belongs in a repository method (db/repositories/)"
