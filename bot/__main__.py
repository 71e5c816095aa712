"""`python -m bot COMMAND --help`: run, migrate, import, export, import-scores, people,
invite, doctor, backup, restore, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.domain.consortium_file import ConsortiumFileError
from bot.domain.score_import import ScoreImportError
from bot.ops.admin_cli import AdminError
from bot.ops.backup import BackupError
from db.errors import SQLAlchemyError
from db.models import Role

EXIT_USAGE = 2


class CliError(Exception):
    """A problem told to the operator in one line (or one line per problem)."""


class Unavailable(Exception):
    """A service the bot needs did not answer (exit status 1: try again later)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Synergy Bot: runs an overseas-internship consortium in Telegram.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="upgrade the database and run the bot (the default)")
    sub.add_parser("migrate", help="upgrade the database to the newest migration")
    imp = sub.add_parser("import", help="load a consortium file (YAML); running it twice is safe")
    imp.add_argument("file", type=Path)
    exp = sub.add_parser("export", help="write the consortium back to a file (YAML)")
    exp.add_argument("file", type=Path, help="where to write; - for standard output")
    scores = sub.add_parser(
        "import-scores",
        help="load past assessments from a CSV file (student,date,party_kind,dimension,score)",
    )
    scores.add_argument("file", type=Path)
    people = sub.add_parser("people", help="list the people the bot knows (find, filter by role)")
    people.add_argument("--find", metavar="TEXT", help="part of a name, username, id or party")
    people.add_argument("--role", choices=[r.value for r in Role])
    invite = sub.add_parser(
        "invite", help="create an invite link from the shell (e.g. for the first coordinator)"
    )
    invite.add_argument("party", help="the party's key in the consortium file, e.g. nbu")
    invite.add_argument("role", help="coordinator, contact, mentor or student")
    invite.add_argument("--uses", type=int, default=1, help="how many people may use it")
    invite.add_argument("--days", type=int, default=None, help="days valid (INVITE_DAYS)")
    demo = sub.add_parser(
        "demo",
        help="play a month of a consortium against a local fake Telegram (no token needed)",
    )
    demo.add_argument("--lang", choices=["en", "zh"], default="en", help="the people's language")
    demo.add_argument(
        "--out", type=Path, default=Path("synergy-demo"), help="folder for charts and exports"
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="then keep the bot running and talk to it in a local web page (the playground)",
    )
    demo.add_argument(
        "--port", type=int, default=8088, help="the playground's port on 127.0.0.1 (0: any free)"
    )
    back = sub.add_parser(
        "backup", help="copy the whole database to a file, consistently, while the bot runs"
    )
    back.add_argument("file", type=Path, help="where to write the backup")
    rest = sub.add_parser(
        "restore",
        help="replace the database with a backup (stop the bot first), then upgrade it",
    )
    rest.add_argument("file", type=Path, help="a file written by backup")
    sub.add_parser(
        "doctor",
        help="check settings, database, migrations, outbox and the Bot API; change nothing",
    )
    return parser


def configure_logging(settings: Settings) -> None:
    from bot.logs import configure

    configure(settings)


async def _migrate(settings: Settings) -> str | None:
    from db.engine import create_engine
    from db.migrate import current_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await current_revision(engine)
    finally:
        await engine.dispose()


def _run_import(settings: Settings, path: Path) -> str:
    from bot.services.consortium_io import import_file

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    report = asyncio.run(import_file(settings, text))
    return f"{path}: {report.summary()}"


def _run_import_scores(settings: Settings, path: Path) -> str:
    from bot.services.consortium_io import import_scores_file

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return f"{path}: {asyncio.run(import_scores_file(settings, text)).summary()}"


def _run_invite(settings: Settings, args: argparse.Namespace) -> str:
    from bot.ops.admin_cli import bot_username, new_invite

    days = args.days or settings.invite_days
    created = asyncio.run(new_invite(settings, args.party, args.role, args.uses, days))
    username = asyncio.run(bot_username(settings))
    expires = created.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    where = (
        f"https://t.me/{username}?start={created.token}"
        if username
        else f"/start {created.token}  (send it to the bot; its @username was not reachable)"
    )
    return (
        f"{where}\n{created.role.value} of {created.party.name}, "
        f"{created.uses} use(s), valid until {expires}"
    )


def _run_bot(settings: Settings) -> None:
    """`run`: serve until signalled; Telegram's refusals at start-up in one line each, with
    no token in them (PTB's own InvalidToken text quotes the token)."""
    from telegram.error import InvalidToken, NetworkError

    from bot.leadership import InUse
    from bot.runner import run_until_signalled
    from db.migrate import SchemaTooNew

    token = settings.require_token()
    try:
        asyncio.run(run_until_signalled(settings))
    except (InUse, SchemaTooNew) as exc:
        raise CliError(str(exc)) from None
    except InvalidToken:
        raise CliError(
            "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather "
            "(or TELEGRAM_API_BASE_URL is not a Bot API server)"
        ) from None
    except NetworkError as exc:  # TimedOut too
        reason = str(exc).replace(token, "<token>") or type(exc).__name__
        raise Unavailable(
            f"the Bot API at {settings.api_base_url.removesuffix('/bot')} did not answer "
            f"({reason}): check the network, TELEGRAM_API_BASE_URL or TELEGRAM_PROXY"
        ) from None


def _run_doctor(settings: Settings) -> int:
    from bot.ops.doctor import FAIL, diagnose

    checks = asyncio.run(diagnose(settings))
    for check in checks:
        print(check.line())
    failed = sum(1 for c in checks if c.status == FAIL)
    print("all good" if not failed else f"{failed} problem{'' if failed == 1 else 's'} to fix")
    return 1 if failed else 0


def _run_export(settings: Settings, path: Path) -> str | None:
    from bot.services.consortium_io import export_file

    text = asyncio.run(export_file(settings))
    if str(path) == "-":
        sys.stdout.write(text)
        return None
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    return f"wrote {path}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "demo":  # no settings: the demo brings its own
        from bot.demo import main as demo

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # ticks skipped while busy
        from bot.logs import quiet_jobs_cancelled_at_stop

        quiet_jobs_cancelled_at_stop()  # a tick running when a busy port stops it
        return demo(args.lang, args.out, port=args.port if args.serve else None)
    try:
        settings = load_settings()
        configure_logging(settings)
        command = args.command or "run"
        if command == "run":
            _run_bot(settings)
        elif command == "migrate":
            from db.migrate import SchemaTooNew

            try:
                print(f"database at revision {asyncio.run(_migrate(settings))}")
            except SchemaTooNew as exc:
                raise CliError(str(exc)) from None
        elif command == "import":
            print(_run_import(settings, args.file))
        elif command == "people":
            from bot.ops.admin_cli import list_people

            lines = asyncio.run(list_people(settings, args.find, args.role))
            print("\n".join(lines) if lines else "no one matches")
        elif command == "invite":
            print(_run_invite(settings, args))
        elif command == "doctor":
            return _run_doctor(settings)
        elif command == "backup":
            from bot.ops.backup import backup

            print(backup(settings.database_url, args.file))
        elif command == "restore":
            from bot.ops.backup import restore

            print(restore(settings.database_url, args.file))
            print(f"database at revision {asyncio.run(_migrate(settings))}")
        elif command == "import-scores":
            print(_run_import_scores(settings, args.file))
        elif command == "export":
            message = _run_export(settings, args.file)
            if message:
                print(message)
    except (SettingsError, CliError, LookupError, AdminError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (BackupError, Unavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        print(f"error: the database at DATABASE_URL failed: {cause}", file=sys.stderr)
        return 1
    except (ConsortiumFileError, ScoreImportError) as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'' if count == 1 else 's'}; nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    logging.captureWarnings(True)
    sys.exit(main())
