"""End to end: past scores imported, then /progress, /cohort, /credits and /export with the
figures worked out by hand; and the import's checks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot.config import Settings
from bot.domain.score_import import ScoreImportError
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_file, import_scores_file
from db.engine import Database
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, run_cli, started

WEEKS = ("2026-09-07", "2026-09-14", "2026-09-21", "2026-09-28")
# tech_rd per party kind and week; joint (equal weights): 55, 60, 70, 80.
TECH = {
    "university": (40, 60, 70, 80),
    "enterprise": (62, 60, 70, 84),
    "research": (55, 60, 70, 76),
    "overseas_site": (63, 60, 70, 80),
}


def history() -> str:
    """Chen Jie's first four weeks: tech_rd as above, cross_cultural 70 from everybody,
    rule_adaptation from the university and the enterprise only."""
    lines = ["student,date,party_kind,dimension,score"]
    for kind, values in TECH.items():
        for week, value in zip(WEEKS, values, strict=True):
            lines.append(f"2001,{week},{kind},tech_rd,{value}")
            lines.append(f"2001,{week},{kind},cross_cultural,70")
            if kind in ("university", "enterprise"):
                lines.append(f"2001,{week},{kind},rule_adaptation,{60 + WEEKS.index(week) * 5}")
    return "\n".join(lines) + "\n"


async def test_progress_cohort_credits_and_export(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    imported = await import_scores_file(settings, history())
    assert (imported.scores, imported.created) == (4 * 4 * 2 + 2 * 4, 16)
    chen = await started(tg, 2001, "Chen Jie")
    li = await started(tg, 1001, "Li Wei", "en")
    wang = await started(tg, 1101, "Wang Fang")

    chen.send("/progress")
    text = (await chen.next_message()).text
    # tech_rd: baseline (55 + 60) / 2 = 57.5, now (70 + 80) / 2 = 75, +17.5 = +30.4%
    assert "Technology R&amp;D: baseline 57.5, now 75.0 (+17.5 points, +30.4%) over 4 weeks" in text
    assert "Cross-cultural operation: baseline 70.0, now 70.0 (+0.0 points, +0.0%)" in text
    # rule_adaptation: 60, 65 -> 62.5; 70, 75 -> 72.5
    assert "International rule adaptation: baseline 62.5, now 72.5 (+10.0 points, +16.0%)" in text
    assert "disagreed widely: 1" in text  # week 1: 40 against 63
    # 1 Sep to 31 Jan; on 2 Nov September and October are complete.
    assert "Credits: 4 earned (2 full months abroad), 10 for the whole stay" in text
    chart = await chen.next_message()
    assert chart.raw.get("photo")
    _, content = tg.files[chart.raw["photo"][-1]["file_id"]]
    assert content.startswith(b"\x89PNG")

    # A mentor sees their students; someone else's progress is refused.
    wang.send("/progress 2001")
    assert "Progress of Chen Jie" in (await wang.next_message()).text
    await wang.next_message()  # the chart
    chen.send("/progress 1001")
    assert "your own students only" in (await chen.next_message()).text
    chen.send("/credits")
    assert (await chen.next_message()).text == (
        "Credits: 4 earned (2 full months abroad), 10 for the whole stay"
    )

    li.send("/cohort")  # Li Wei reads Chinese (the consortium file says so)
    cohort = (await li.next_message()).text
    assert "学生群体：1 名学生，周报 0/0" in cohort
    assert "Bangkok International School（1 名学生）：研发 57.5→75.0（+17.5，+30.4%）" in cohort
    assert "4 类合作方（1 名学生）" in cohort
    assert "GlobalEd Tech Ltd（1 名学生）" in cohort
    assert "研发 0.94" in cohort  # Cronbach's alpha over the four parties
    assert "跨文化 数据不足" in cohort  # everybody gave 70: nothing varies
    assert "规则 1.00" in cohort  # two parties in perfect agreement
    assert "各方评分差异较大的项：1" in cohort
    assert (await li.next_message()).raw.get("photo")  # per collaboration model
    assert (await li.next_message()).raw.get("photo")  # per party

    li.send("/credits")
    assert "Chen Jie：已获得 4，计划 10" in (await li.next_message()).text

    li.send("/export")
    await li.next_message()  # the caption
    workbook_message = await li.next_message()
    archive_message = await li.next_message()
    _, xlsx = tg.files[workbook_message.raw["document"]["file_id"]]
    _, archive = tg.files[archive_message.raw["document"]["file_id"]]
    # Li Wei reads Chinese: so does the workbook (the CSV files keep the identifiers).
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    assert {"周报", "评分", "能力", "按协作模式", "评分信度"} <= set(book.sheetnames)
    capability = list(book["能力"].iter_rows(values_only=True))
    header = capability[0]
    tech = next(row for row in capability[1:] if row[header.index("能力维度")] == "技术研发")
    assert tech[header.index("Telegram ID")] == 2001
    assert tech[header.index("基线（分）")] == 57.5 and tech[header.index("当前水平（分）")] == 75
    assert tech[header.index("提升（%）")] == 30.4  # 17.5 of 57.5, to one decimal
    scores_sheet = list(book["评分"].iter_rows(values_only=True))
    assert isinstance(scores_sheet[1][scores_sheet[0].index("日期")], dt.datetime)
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        scores = list(csv.DictReader(io.StringIO(files.read("scores.csv").decode())))
    assert len(scores) == 40
    assert scores[0].keys() >= {"student", "date", "party_kind", "dimension", "score"}
    # What /export writes, import-scores reads back.
    rows = ["student,date,party_kind,dimension,score"] + [
        ",".join(r[k] for k in ("student", "date", "party_kind", "dimension", "score"))
        for r in scores
    ]
    again = await import_scores_file(settings, "\n".join(rows))
    assert (again.created, again.updated) == (0, 16)


async def test_bad_score_files_import_nothing(settings: Settings, database: Database) -> None:
    await import_file(settings, SAMPLE_FILE.read_text(encoding="utf-8"))
    bad = (
        "student,date,party_kind,dimension,score\n"
        "2001,2026-09-07,university,tech_rd,70\n"
        "2001,2026-13-01,university,tech_rd,70\n"
        "2001,2026-09-07,ministry,tech_rd,101\n"
        "1001,2026-09-07,university,tech_rd,70\n"
        "2001,2026-09-07,university,tech_rd,75\n"
        "2001,2026-09-08,university,cross_cultural,75\n"
        "2001,2026-09-07,university\n"
    )
    with pytest.raises(ScoreImportError) as error:
        await import_scores_file(settings, bad)
    assert error.value.problems == [
        "line 3: date '2026-13-01' is not an ISO date such as 2026-09-07",
        "line 4: party_kind 'ministry' is not one of enterprise, government, ngo, "
        "overseas_site, research, university; "
        "score '101' is not a number from 0 to 100 with at most two decimals",
        "line 6: repeats line 2",
        "line 8: expected 5 fields, found 3",
        "line 5: 1001 is not a student of the consortium file",
        "line 7: a second date in the same week for this student and party kind "
        "(one assessment per party and week)",
    ]
    async with database.transaction() as repos:
        chen = await repos.people.by_telegram_id(2001)
        assert chen is not None
        assert not await repos.assessments.of_week(chen.id, dt.date(2026, 9, 7))
    with pytest.raises(ScoreImportError, match="1 problems"):
        await import_scores_file(settings, "who,when\n1,2\n")


def test_cli_import_scores(tmp_path: Path) -> None:
    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"}
    (tmp_path / "c.yaml").write_text(SAMPLE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("import", "c.yaml", cwd=tmp_path, env=db).returncode == 0
    (tmp_path / "s.csv").write_text(history(), encoding="utf-8")
    done = run_cli("import-scores", "s.csv", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "s.csv: 40 scores imported: 16 assessments created, 0 updated"
    (tmp_path / "bad.csv").write_text("student,date,party_kind,dimension,score\n9,x,y,z,1\n")
    bad = run_cli("import-scores", "bad.csv", cwd=tmp_path, env=db)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == "1 problem; nothing was imported"
