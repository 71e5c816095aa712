"""The domain is pure: no module under `bot/domain/` imports the database, SQLAlchemy or
Telegram, so its rules load and run without any of them (STYLE.md, "domain as pure functions")."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"
FORBIDDEN = ("db", "sqlalchemy", "telegram")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports by name, at any depth of its code."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_domain_module_names_the_database_sqlalchemy_or_telegram() -> None:
    modules = sorted(DOMAIN.glob("*.py"))
    assert modules, DOMAIN
    offending = {
        path.name: sorted(
            name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN
        )
        for path in modules
    }
    assert {name: found for name, found in offending.items() if found} == {}


SCRIPT = """
import importlib, json, pkgutil, sys
import bot.domain
for module in pkgutil.iter_modules(bot.domain.__path__):
    importlib.import_module("bot.domain." + module.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & {"db", "sqlalchemy",
                                                                          "telegram"})))
"""


def test_loading_the_whole_domain_loads_none_of_them() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
