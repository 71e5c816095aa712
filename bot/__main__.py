"""`python -m bot [run|migrate|import FILE|export FILE|import-scores FILE.csv]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, SettingsError, load_settings
from bot.domain.consortium_file import ConsortiumFileError
from bot.domain.score_import import ScoreImportError

EXIT_USAGE = 2


class CliError(Exception):
    """A problem told to the operator in one line (or one line per problem)."""


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
    try:
        settings = load_settings()
        configure_logging(settings)
        command = args.command or "run"
        if command == "run":
            settings.require_token()
            from bot.runner import run_until_signalled

            asyncio.run(run_until_signalled(settings))
        elif command == "migrate":
            print(f"database at revision {asyncio.run(_migrate(settings))}")
        elif command == "import":
            print(_run_import(settings, args.file))
        elif command == "import-scores":
            print(_run_import_scores(settings, args.file))
        elif command == "export":
            message = _run_export(settings, args.file)
            if message:
                print(message)
    except (SettingsError, CliError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
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
