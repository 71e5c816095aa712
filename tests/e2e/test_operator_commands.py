"""The operator's command line: import and export, people, invite, and --help on every
subcommand."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.__main__ import _parser
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import run_cli


def _subcommands() -> tuple[str, ...]:
    """Every subcommand the parser knows, so that a new one cannot go without --help."""
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return tuple(actions[0].choices)


SUBCOMMANDS = _subcommands()
SAMPLE = SAMPLE_FILE.read_text(encoding="utf-8")


def test_the_operators_commands_are_all_there() -> None:
    assert set(SUBCOMMANDS) == {
        "run", "migrate", "import", "export", "import-scores", "people", "invite", "doctor",
        "backup", "restore", "demo",
    }  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"}
    (tmp_path / "c.yaml").write_text(SAMPLE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("import", "c.yaml", cwd=tmp_path, env=db).returncode == 0
    return db


def test_people_lists_finds_and_filters(tmp_path: Path, env: dict[str, str]) -> None:
    everyone = run_cli("people", cwd=tmp_path, env=env)
    assert everyone.returncode == 0, everyone.stderr
    assert len(everyone.stdout.splitlines()) == 6
    mentors = run_cli("people", "--role", "mentor", cwd=tmp_path, env=env).stdout.splitlines()
    assert len(mentors) == 4 and all("mentor" in line for line in mentors)
    chen = run_cli("people", "--find", "chen", cwd=tmp_path, env=env).stdout.splitlines()
    assert len(chen) == 1 and "2001" in chen[0] and "nbu:student" in chen[0]
    assert "not joined" in chen[0]
    nobody = run_cli("people", "--find", "zzz", cwd=tmp_path, env=env)
    assert nobody.stdout.strip() == "no one matches"


def test_invite_from_the_shell(tmp_path: Path, env: dict[str, str]) -> None:
    made = run_cli("invite", "nbu", "coordinator", "--uses", "2", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    first, second = made.stdout.splitlines()
    assert re.match(r"^/start [A-Za-z0-9_-]{24}  \(send it to the bot", first)
    assert second.startswith("coordinator of Ningbo University, 2 use(s), valid until ")
    unknown = run_cli("invite", "nope", "student", cwd=tmp_path, env=env)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "error: unknown party 'nope' (parties: ai-lab, bkk-school, edtech, nbu)"
    )
    role = run_cli("invite", "nbu", "dean", cwd=tmp_path, env=env)
    assert role.returncode == 2 and "unknown role 'dean'" in role.stderr


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(tmp_path: Path, name: str) -> None:
    shown = run_cli(name, "--help", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.startswith(f"usage: python -m bot {name}")


def test_cli_import_export_and_errors(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}
    (tmp_path / "c.yaml").write_text(SAMPLE, encoding="utf-8")
    first = run_cli("import", "c.yaml", cwd=tmp_path, env=db)
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    again = run_cli("import", "c.yaml", cwd=tmp_path, env=db)
    assert again.stdout.strip() == "c.yaml: no changes"

    bad = SAMPLE.replace("party: nbu, roles: [student]", "party: nbx, roles: [student]")
    (tmp_path / "bad.yaml").write_text(bad.replace("country: TH", "country: XX"), encoding="utf-8")
    wrong = run_cli("import", "bad.yaml", cwd=tmp_path, env=db)
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        "error: parties[3].country: unknown country code 'XX' (ISO 3166, e.g. CN, TH)",
        "error: people[2].party: unknown party 'nbx'",
        "2 problems; nothing was imported",
    ]

    exported = run_cli("export", "out.yaml", cwd=tmp_path, env=db)
    assert exported.returncode == 0 and (tmp_path / "out.yaml").exists()
    missing = run_cli("import", "nope.yaml", cwd=tmp_path, env=db)
    assert missing.returncode == 2 and missing.stderr.startswith("error: cannot read nope.yaml")
    empty_db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"}
    nothing = run_cli("export", "-", cwd=tmp_path, env=empty_db)
    assert nothing.returncode == 2 and "no consortium" in nothing.stderr
