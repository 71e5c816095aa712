"""Settings and the command line: one clear line and exit status 2 for a bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings
from tests.e2e.conftest import ROOT, run_cli


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


def _serve_fake_in_thread() -> tuple[str, str, object]:
    """A fake Bot API on a thread of its own, for a `python -m bot` process to talk to."""
    import asyncio
    import threading

    from bot.fake_telegram import FakeTelegram

    started = threading.Event()
    box: dict[str, object] = {}

    def serve() -> None:
        async def main() -> None:
            tg = FakeTelegram()
            box["url"] = await tg.start()
            box["token"] = tg.token
            box["stop"] = stop = asyncio.Event()
            box["loop"] = asyncio.get_running_loop()
            started.set()
            await stop.wait()
            await tg.stop()

        asyncio.run(main())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(10)
    return str(box["url"]), str(box["token"]), box


def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    url, token, box = _serve_fake_in_thread()
    wrong = token.split(":")[0] + ":WRONG-" + "x" * 30
    try:
        result = run_cli(
            cwd=tmp_path,
            env={"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": url},
        )
    finally:
        loop, stop = box["loop"], box["stop"]
        loop.call_soon_threadsafe(stop.set)  # type: ignore[attr-defined]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if " INFO " not in line]
    assert lines == [
        "error: Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather "
        "(or TELEGRAM_API_BASE_URL is not a Bot API server)"
    ]
    assert "WRONG" not in result.stderr + result.stdout


def test_an_unreachable_bot_api_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    token = "123456:SECRET-token-that-must-not-be-printed-xx"
    result = run_cli(
        cwd=tmp_path,
        env={"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if " INFO " not in line]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: the Bot API at http://127.0.0.1:{port} did not answer")
    assert "SECRET" not in result.stderr + result.stdout
