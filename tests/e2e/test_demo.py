"""`python -m bot demo` plays a month against the fake Telegram and exits 0, in English and
in Chinese, with every feature in its transcript and the charts and exports in its folder."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import zipfile
from pathlib import Path

import openpyxl

from bot.i18n import Translations

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
    "course reminder": "Regulations starts in 1 hour, Wed, Dec 2, 2026 15:00 (Asia/Bangkok)",
    "attendance": "Attended: 3 of 3.",
    "gap warning": "Gap ahead in a programme: Li Na has 3 weeks with no activity",
    "plan": "⚠️ 3 weeks with no activity, Jan 11, 2027 – Jan 31, 2027",
    "course credits": "Course modules: 0.75 earned (1.5 hours attended)",
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
    assert openpyxl.load_workbook(transcript, read_only=True).sheetnames == ["transcript"]
    assert len(openpyxl.load_workbook(workbook, read_only=True).sheetnames) > 3
    (archive,) = out.glob("*-csv.zip")
    with zipfile.ZipFile(archive) as csvs:
        assert "scores.csv" in csvs.namelist()
        assert csvs.read("scores.csv").decode().count("\n") == 1 + 4 * 3 * 3 * 4  # a month
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
    for line in ("Saved; the student will see your scores.", "Score this report"):
        assert zh.gettext(line) != line and zh.gettext(line) in printed_zh
    assert "Check-in #1 is closed" not in printed_zh
    _files_are_real(chinese)


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
