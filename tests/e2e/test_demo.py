"""`python -m bot demo` plays a month against the fake Telegram and exits 0, in English and
in Chinese, with every feature in its transcript and the charts and exports in its folder."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import openpyxl
from PIL import Image

from bot.i18n import Translations, Translator

ROOT = Path(__file__).resolve().parents[2]
# One line per feature that has landed: what the bot says when it happens.
FEATURES = {
    "invite": "Invite to join GlobalEd Tech Ltd as a party contact",
    "join": "Welcome! You have joined GlobalEd Tech Ltd as a party contact.",
    "group": "This group is now linked to the consortium.",
    "question": "Question #1 for GlobalEd Tech Ltd, you are on call",
    "escalation": "Question #1 for GlobalEd Tech Ltd is still unacknowledged",
    "answer": "Answer to #1 from Tan Wei Ming (GlobalEd Tech Ltd):",
    "poll": "[poll]",
    "check-in reminder": "No one from Institute of Educational AI has answered check-in #1 yet.",
    "check-in summary": "Check-in #1 is closed: 4/4 parties answered.",
    "report reminder": "Time for your weekly report for week 2026-W45",
    "report": "is submitted. Thank you! 4 mentors will score it",
    "scores": "Saved; the student will see your scores.",
    "feedback": "Your university mentor Zhang Min (Ningbo University) scored your report",
    "progress": "Progress of Chen Jie",
    "cohort": "Cohort: 3 students, 12 of 12 weekly reports (100%)",
    "credits": "Credits: 6 earned (3 full months abroad), 10 for the whole stay",
    "export": "[file synergy-",
    "topic": "Topic #1 is published.",
    "announcement": "New research topic #1 from Institute of Educational AI",
    "application": "Chen Jie applies to join the team of topic #1",
    "team report": "is submitted. 3 mentors will score it.",
    "team scores": "Your research institute mentor Liu Yang scored the report of topic #1",
    "achievement": 'Achievement #1 software "Science kit lesson planner" is recorded.',
    "revenue": "• Chen Jie (student): 15% = 1,500.00 CNY",
    "training": "Recorded 20 hours of training at GlobalEd Tech Ltd for Chen Jie",
    "credit sources": "Research topics: 1 earned (1 accepted report cycle)",
    "transcript": "[file transcript-2001-2026-12-01.html]",
    "digest": "Monthly digest, November 2026: 4 parties.",
    "manual": "0-44 emerging: uses the host's tools when shown how",
    "manual version": "Assessment manual of the consortium, version 2",
    "share reminder": "the consortium asks every mentor to score at least 80%",
    "share escalated": "Mentor Liu Yang (Institute of Educational AI) has scored 6 of 9",
    "share flagged": "Mentors below the least share of weeks scored (80%): Liu Yang 6 of 9 (67%)",
}


async def _demo(out: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--out",
        str(out),
        *args,
        cwd=out.parent,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return stdout.decode()


def _files_are_real(out: Path) -> None:
    charts = sorted(out.glob("*.png"))
    assert len(charts) == 3  # /progress, and /cohort's two
    assert all(chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for chart in charts)
    (workbook,) = out.glob("synergy-*.xlsx")
    (transcript,) = out.glob("transcript-*.xlsx")
    sheet = openpyxl.load_workbook(transcript).active
    assert sheet is not None and isinstance(sheet["B2"].value, dt.datetime)  # issued: a date
    assert len(openpyxl.load_workbook(workbook, read_only=True).sheetnames) > 3
    (archive,) = out.glob("*-csv.zip")
    with zipfile.ZipFile(archive) as csvs:
        assert "scores.csv" in csvs.namelist()
        # A month: 4 mentors, 3 students, 3 dimensions, 4 weeks; the research mentor
        # scores nothing in the last two weeks.
        scores = 1 + 4 * 3 * 3 * 4 - 2 * 3 * 3
        assert csvs.read("scores.csv").decode().count("\n") == scores
    assert (out / "transcript.txt").read_text(encoding="utf-8").strip()


async def test_the_demo_plays_a_month_in_english_and_in_chinese(tmp_path: Path) -> None:
    """Both languages at once (two processes, two cores)."""
    english, chinese = tmp_path / "en", tmp_path / "zh"
    printed, printed_zh = await asyncio.gather(_demo(english), _demo(chinese, "--lang", "zh"))

    missing = [name for name, line in FEATURES.items() if line not in printed]
    assert missing == [], missing
    assert printed.index(FEATURES["question"]) < printed.index(FEATURES["escalation"])
    transcript = (english / "transcript.txt").read_text(encoding="utf-8")
    assert transcript in printed
    _files_are_real(english)
    _guides_quote_the_demo(transcript)

    zh = Translations.load().for_language("zh")
    for line in (
        "Saved; the student will see your scores.",
        "Score this report",
        "Assessment manual of the consortium, version {n}",
        "Mentors below the least share of weeks scored ({least}): {names}",
    ):
        said = zh.gettext(line).split("{")[0]  # up to the first placeholder
        assert said != line.split("{")[0] and said in printed_zh
    assert "Check-in #1 is closed" not in printed_zh
    _files_are_real(chinese)
    _charts_and_workbook_say_no_english(chinese, zh)
    (transcript,) = chinese.glob("transcript-*.xlsx")
    assert openpyxl.load_workbook(transcript, read_only=True).sheetnames == ["学分成绩单"]


# Latin words a Chinese reader is shown on purpose: names of things, not English.
NOT_ENGLISH = {"Telegram", "ID", "ISO", "UTC", "CSV"}


def _charts_and_workbook_say_no_english(out: Path, zh: Translator) -> None:
    """Every word of the Chinese demo's charts (the text each PNG carries) and of its export
    workbook is Chinese, but for names (of people and parties, from the demo's database),
    identifiers and what the students wrote themselves."""
    with contextlib.closing(sqlite3.connect(out / "demo.sqlite3")) as db:
        names = [
            row[0]
            for table in ("person", "party", "consortium")
            for row in db.execute(f"SELECT name FROM {table} WHERE name IS NOT NULL")
        ]
    allowed = NOT_ENGLISH | {word for name in names for word in re.findall(r"[A-Za-z]+", name)}

    def english(text: str) -> list[str]:
        return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed]

    charts = sorted(out.glob("*.png"))
    for chart in charts:
        words = Image.open(chart).text
        assert re.search(r"[\u4e00-\u9fff]", words["Title"]), chart.name
        assert english(words["Title"] + "\n" + words["Description"]) == [], chart.name
    (path,) = out.glob("synergy-*.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    written = {
        zh.gettext(c)
        for c in ("Activities", "Cross-cultural episode", "Note on the rules", "Problems")
    }
    for sheet in book.worksheets:
        assert english(sheet.title) == [], sheet.title
        header, *rows = sheet.iter_rows(values_only=True)
        assert english(" ".join(str(h) for h in header)) == [], (sheet.title, header)
        free = {at for at, h in enumerate(header) if h in written}
        found = [
            (sheet.title, header[at], value)
            for row in rows
            for at, value in enumerate(row)
            if at not in free and isinstance(value, str) and english(value)
        ]
        assert found == []


def _guides_quote_the_demo(transcript: str) -> None:
    """Every line of a transcript in docs/guides/ is a line the demo printed."""
    said = {line.rstrip() for line in transcript.splitlines()}
    guides = sorted((ROOT / "docs" / "guides").glob("*.md"))
    assert [g.stem for g in guides] == ["contact", "coordinator", "mentor", "student"]
    for guide in guides:
        quoted = re.findall(r"```text\n(.*?)```", guide.read_text(encoding="utf-8"), re.S)
        lines = [line.rstrip() for block in quoted for line in block.splitlines()]
        assert len(lines) > 10, guide.name
        stale = [line for line in lines if line not in said]
        assert stale == [], (guide.name, stale[:3])
