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
import pytest
import yaml
from PIL import Image

from bot.demo.cast import GROUP_TITLE, NEWCOMER, PEOPLE
from bot.domain.access import COMMANDS
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
    "course reminder": "Regulations starts in 1 hour, Wed, Dec 2, 2026 15:00 (Thailand Time)",
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
    # A guard against a hang, not a timing: two demos share the machine's cores.
    stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
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
    english_words = latin_outside_names((chinese / "transcript.txt").read_text(encoding="utf-8"))
    assert english_words == [], english_words[:20]
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


# Latin words a Chinese reader meets as they are, each for a reason: product and format
# names (Telegram and its IDs, Python in a topic's skills, the file types a report takes,
# CSV files), units and codes (MB, the ISO currency CNY), the date format people type.
LATIN_AS_IS = {"Telegram", "ID", "Python", "PDF", "Word", "Excel", "PowerPoint", "CSV", "MB"}
LATIN_AS_IS |= {"CNY", "YYYY-MM-DD"}


def _typed() -> set[str]:
    """What one types after a command: the sub-commands the registry names, and the Latin
    words a command's description in /help keeps in Chinese (`/topic new、need、announce`)."""
    zh = Translations.load().for_language("zh")
    typed = {word for spec in COMMANDS for r in spec.restricted for word in r.first | r.but}
    for spec in COMMANDS:
        kept = zh.gettext(spec.description)
        typed |= {
            word
            for word in re.findall(r"[a-z]{2,}", spec.description)
            if re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", kept)
        }
    return typed


def _machine() -> re.Pattern[str]:
    typed = "|".join(sorted(_typed(), key=len, reverse=True))
    return re.compile(
        r"https?://\S+"  # links (an invite's)
        rf"|/[a-z]+!?(?:[ 、,]+(?:{typed})\b)*"  # commands, and the sub-commands after them
        r"|[\w.-]+\.(?:pdf|xlsx|html|json|zip|png)\b"  # file names
        r"|\b[A-Za-z]+(?:-[A-Za-z]+)+\b"  # formats such as YYYY-MM-DD
    )


def _names() -> list[str]:
    """The demo cast's names (people, parties, the group, the consortium) and party keys."""
    data = yaml.safe_load((ROOT / "bot" / "demo" / "consortium.yaml").read_text("utf-8"))
    names = [*PEOPLE.values(), NEWCOMER[1], GROUP_TITLE, data["consortium"]["name"]]
    names += [party["name"] for party in data["parties"]]
    names += [party["key"] for party in data["parties"]]
    return sorted(names, key=len, reverse=True)  # the longest first


def latin_outside_names(transcript: str) -> list[str]:
    """Each Latin word of a transcript that is not a name, a command, a link, a file name
    or one of LATIN_AS_IS: English a Chinese reader should not meet. A person typing a
    command (`/invite edtech contact`) types machine words; those lines are skipped."""
    names, machine = _names(), _machine()
    found = []
    for line in transcript.splitlines():
        if line[:1] not in ("", " ", "─") and re.search(r"(?:: |：)/[a-z]", line):
            continue  # a person's command and its arguments
        kept = machine.sub(lambda m: m[0] if m[0] in LATIN_AS_IS else " ", line)
        for name in names:
            kept = re.sub(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", " ", kept)
        found += [w for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)*", kept) if w not in LATIN_AS_IS]
    return found


@pytest.mark.parametrize(
    ("line", "english"),
    [
        ("  机器人 → Li Wei: 该写 2026年第45周（11月2日至8日）的周报了：请发送 /report。", []),
        ("  bot → Li Wei: 截止时间为 Mon 09 Nov 12:00。", ["bot", "Mon", "Nov"]),
        ("      edtech：1 个问题，31m / 31m，100%", ["m", "m"]),
        ("Li Wei: /invite edtech contact", []),
        ("Li Wei：/invite edtech contact", []),
        ("Chen Jie: （发送文件）lesson-plan.pdf，并写了 weekly report", ["weekly", "report"]),
        (
            "      https://t.me/synergy_test_bot?start=k_x 有效期至（Asia/Shanghai）",
            ["Asia", "Shanghai"],
        ),
        ("      申请截止日期，格式 YYYY-MM-DD；Telegram ID；10,000.00 CNY", []),
        ("      /topic new、need、announce 发布课题；/checkin next 之后 training", ["training"]),
    ],
)
def test_the_check_finds_english_and_lets_names_through(line: str, english: list[str]) -> None:
    assert latin_outside_names(line) == english


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
