"""End to end: `python -m bot import` names the value it could not take, so the operator
finds the typo without opening the schema."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import run_cli


def test_a_wrong_kind_is_quoted(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}
    text = SAMPLE_FILE.read_text(encoding="utf-8")
    text = text.replace("kind: enterprise", "kind: spaceship").replace(
        "{telegram_id: 1002,", "{telegram_id: -1002,"
    )
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    done = run_cli("import", "c.yaml", cwd=tmp_path, env=db)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: parties[1].kind: Input should be 'university', 'enterprise', 'research', "
        "'overseas_site', 'government' or 'ngo', not 'spaceship'",
        "error: people[1].telegram_id: Input should be greater than 0, not -1002",
        "2 problems; nothing was imported",
    ]
