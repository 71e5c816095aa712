"""`python -m bot doctor`: what it finds, and what it tells the operator to do."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.ops.doctor import FAIL, OK, WARN, diagnose
from bot.services.consortium_io import import_file
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import run_cli


def _by_name(checks: list) -> dict[str, tuple[str, str]]:  # type: ignore[type-arg]
    return {c.name: (c.status, c.detail) for c in checks}


async def test_a_healthy_bot(settings: Settings, tg: FakeTelegram) -> None:
    found = _by_name(await diagnose(settings))
    assert found["database"][0] == OK and found["migrations"][0] == OK
    assert found["consortium"][0] == WARN and "python -m bot import" in found["consortium"][1]
    assert found["bot api"] == (OK, "@synergy_test_bot answers")
    assert found["outbox"] == (OK, "0 waiting, 0 failed")
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"))
    found = _by_name(await diagnose(settings))
    assert found["consortium"] == (OK, "Belt and Road EdTech Alliance: 4 parties")


async def test_what_it_tells_to_fix(settings: Settings, tmp_path: Path) -> None:
    wrong_token = settings.model_copy(
        update={"telegram_bot_token": type(settings.telegram_bot_token)("999:" + "x" * 30)}
    )
    assert _by_name(await diagnose(wrong_token))["bot api"][0] == FAIL
    nowhere = settings.model_copy(update={"telegram_api_base_url": "http://127.0.0.1:9"})
    unreachable = _by_name(await diagnose(nowhere))["bot api"]
    assert unreachable[0] == FAIL and "cannot reach http://127.0.0.1:9" in unreachable[1]
    fresh = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"}
    )
    migrations = _by_name(await diagnose(fresh))["migrations"]
    assert migrations[0] == FAIL and "python -m bot migrate" in migrations[1]
    down = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres:secret@127.0.0.1:9/test"}
    )
    database = _by_name(await diagnose(down, dt.datetime.now(dt.UTC)))["database"]
    assert database[0] == FAIL and "secret" not in database[1]
    assert "postgresql+asyncpg://127.0.0.1:9/test" in database[1]


def test_cli_doctor_exit_status(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}"}
    assert run_cli("migrate", cwd=tmp_path, env=db).returncode == 0
    done = run_cli("doctor", cwd=tmp_path, env=db)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ok   settings")
    assert "FAIL token: TELEGRAM_BOT_TOKEN is not set" in done.stdout
    assert "ok   chart font: Noto Sans CJK SC: charts can be drawn in Chinese" in lines
    assert lines[-1] == "1 problem to fix"


async def test_the_chart_font_line(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CJK font (fonts-noto-cjk, which the set-up installs) is reported by its family; without
    one, a warning that says what charts lose and what to install, not a failure."""
    from bot.renderers import charts

    assert _by_name(await diagnose(settings))["chart font"] == (
        OK,
        "Noto Sans CJK SC: charts can be drawn in Chinese",
    )
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such CJK Font",))
    status, detail = _by_name(await diagnose(settings))["chart font"]
    assert status == WARN
    assert "drawn in English" in detail and "apt-get install fonts-noto-cjk" in detail
