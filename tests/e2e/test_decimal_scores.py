"""End to end: scores with decimals (averages of past questionnaires) imported, shown by
/progress and /cohort as figures that add up, in points and in percent, and kept by /export."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from bot.config import Settings
from bot.domain.score_import import ScoreImportError
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_scores_file
from tests.e2e.conftest import RunningBot, started

# The university's tech_rd for Chen Jie's first four weeks. Baseline (first two weeks):
# (57.2 + 65.08) / 2 = 61.14, shown 61.1; now (last two): 71.66, shown 71.7. The change shown
# is worked out from the shown figures: +10.6 points, 10.6 / 61.1 = +17.3% (unrounded it
# would be +10.5 points and +17.2%, which do not add up to what the reader sees).
SCORES = (
    "student,date,party_kind,dimension,score\n"
    "2001,2026-09-07,university,tech_rd,57.2\n"
    "2001,2026-09-14,university,tech_rd,65.08\n"
    "2001,2026-09-21,university,tech_rd,71.66\n"
    "2001,2026-09-28,university,tech_rd,71.66\n"
)


async def test_decimals_are_kept_and_shown_in_points_and_percent(
    tg: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    imported = await import_scores_file(settings, SCORES)
    assert (imported.scores, imported.created) == (4, 4)
    chen = await started(tg, 2001, "Chen Jie")
    li = await started(tg, 1001, "Li Wei")  # reads Chinese (the consortium file says so)

    chen.send("/progress")
    text = (await chen.next_message()).text
    assert "Technology R&amp;D: baseline 61.1, now 71.7 (+10.6 points, +17.3%) over 4 weeks" in (
        text
    )
    await chen.next_message()  # the chart

    li.send("/cohort")
    cohort = (await li.next_message()).text
    assert "每行：基线 → 当前水平（变化分数，变化百分比）。" in cohort
    assert "Bangkok International School（1 名学生）：研发 61.1→71.7（+10.6，+17.3%）" in cohort
    await li.next_message()  # per collaboration model
    await li.next_message()  # per party

    li.send("/export")
    await li.next_message()  # the caption
    await li.next_message()  # the workbook
    archive = await li.next_message()
    _, content = tg.files[archive.raw["document"]["file_id"]]
    with zipfile.ZipFile(io.BytesIO(content)) as files:
        rows = list(csv.DictReader(io.StringIO(files.read("scores.csv").decode())))
    assert [row["score"] for row in rows] == ["57.2", "65.08", "71.66", "71.66"]
    again = await import_scores_file(settings, files_text(rows))
    assert (again.created, again.updated) == (0, 4)


def files_text(rows: list[dict[str, str]]) -> str:
    columns = ("student", "date", "party_kind", "dimension", "score")
    return "\n".join([",".join(columns)] + [",".join(r[c] for c in columns) for r in rows])


async def test_three_decimals_are_refused(bot: RunningBot, settings: Settings) -> None:
    with pytest.raises(ScoreImportError) as error:
        await import_scores_file(settings, SCORES.replace("65.08", "65.085"))
    assert error.value.problems == [
        "line 3: score '65.085' is not a number from 0 to 100 with at most two decimals"
    ]
