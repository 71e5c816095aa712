"""Settings and the command line: one clear line and exit status 2 for a bad setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_use_sqlite_in_the_working_directory(tmp_path: Path) -> None:
    settings = load_settings(env_file=tmp_path / "missing.env")
    assert settings.database_url == "sqlite+aiosqlite:///synergy-bot.sqlite3"
    assert settings.telegram_api_base_url is None
    assert settings.api_base_url == "https://api.telegram.org/bot"


def test_env_file_and_base_url(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "TELEGRAM_BOT_TOKEN=123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
        "TELEGRAM_API_BASE_URL=http://127.0.0.1:8081/\n"
        "DEFAULT_LANGUAGE=zh\n"
    )
    settings = load_settings(env_file=env)
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.default_language == "zh"
    assert "AAAA" not in repr(settings)  # the token is a secret


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://x"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("LOG_LEVEL", "LOUD"),
        ("TELEGRAM_PROXY", "socks5://127.0.0.1:1080"),
    ],
)
def test_malformed_setting_names_itself(tmp_path: Path, name: str, value: str) -> None:
    env = tmp_path / ".env"
    env.write_text(f"{name}={value}\n")
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=env)
    assert str(error.value).startswith(f"{name} is invalid")
    assert ".env.example" in str(error.value)


def test_the_proxy_to_the_bot_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variable in (name, name.lower()):
            monkeypatch.delenv(variable, raising=False)
    env = tmp_path / ".env"
    env.write_text("")
    assert load_settings(env_file=env).api_proxy() is None
    monkeypatch.setenv("HTTPS_PROXY", "http://corporate:3128")
    assert load_settings(env_file=env).api_proxy() == "http://corporate:3128"
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert load_settings(env_file=env).api_proxy() is None  # exempted
    monkeypatch.delenv("NO_PROXY")
    # a Local Bot API server over plain HTTP: HTTPS_PROXY is not for it, ALL_PROXY is
    env.write_text("TELEGRAM_API_BASE_URL=http://10.0.0.5:8081\n")
    assert load_settings(env_file=env).api_proxy() is None
    monkeypatch.setenv("ALL_PROXY", "http://everything:3128")
    assert load_settings(env_file=env).api_proxy() == "http://everything:3128"
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")  # aiohttp speaks HTTP only
    with pytest.raises(SettingsError, match="TELEGRAM_PROXY=http://"):
        load_settings(env_file=env).api_proxy()
    # TELEGRAM_PROXY (here from .env) wins over the environment
    env.write_text("TELEGRAM_PROXY=http://user:secret@proxy.example.com:8080\n")
    assert load_settings(env_file=env).api_proxy() == "http://user:secret@proxy.example.com:8080"


def test_missing_token_stops_the_bot_with_one_line_and_status_2(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env "
        "(see .env.example)"
    ]
    assert "Traceback" not in result.stderr


def test_malformed_token_is_named_without_traceback(tmp_path: Path) -> None:
    result = run_cli(cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": "oops"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: TELEGRAM_BOT_TOKEN is invalid")


def test_settings_is_the_only_module_reading_the_environment() -> None:
    offenders = []
    for package in ("bot", "handlers", "jobs", "db"):
        for path in (ROOT / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            reads = ("os.environ", "getenv", "getproxies")
            if any(r in source for r in reads) and path.name != "config.py":
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_settings_accepts_overrides() -> None:
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:")  # type: ignore[call-arg]
    assert settings.telegram_bot_token is None
    with pytest.raises(SettingsError):
        settings.require_token()
