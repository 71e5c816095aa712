"""The export workbook in the reader's language with typed cells (dates as dates, numbers
rounded, shares as percentages), while the CSV archive keeps the machine identifiers."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from bot.i18n import Translations, Translator
from bot.renderers.export import COLUMNS, SHEETS, in_language, workbook
from bot.renderers.export import header as header_of
from bot.services.context import ServiceContext
from bot.services.export import course_tables, csv_zip
from db.repositories import Repos


@pytest.fixture(scope="module")
def zh() -> Translator:
    return Translations.load().for_language("zh")


@pytest.fixture(scope="module")
def en() -> Translator:
    return Translations.load().for_language("en")


def _sheets() -> dict[str, pd.DataFrame]:
    """Tables shaped as `bot.services.export.tables` makes them."""
    return {
        "reports": pd.DataFrame(
            {
                "name": ["Chen Jie"],
                "student": [2001],
                "week": ["2026-11-02"],
                "iso_week": ["2026-W45"],
                "status": ["submitted"],
                "late": [True],
                "submitted_at": ["2026-11-06T10:00:00+08:00"],
                "hours": [32.0],
                "rules_met": ["child_privacy data_protection"],
                "self_tech_rd": [4],
            }
        ),
        "capability": pd.DataFrame(
            {
                "name": ["Chen Jie"],
                "student": [2001],
                "dimension": ["tech_rd"],
                "baseline": [60.625],
                "current": [74.23333333333333],
                "points": [13.608333333333334],
                "percent": [22.446735395189002],
                "weeks": [4],
            }
        ),
        "participation": pd.DataFrame(
            {
                "name": ["Chen Jie"],
                "student": [2001],
                "weeks_expected": [4],
                "reports_submitted": [3],
                "late": [1],
                "sessions_held": [2],
                "sessions_attended": [1],
                "participation_rate": [0.75],
            }
        ),
        "by_model": pd.DataFrame(
            {
                "model": [4],
                "dimension": ["cross_cultural"],
                "students": [3],
                "baseline": [60.0],
                "current": [70.0],
                "points": [10.0],
                "percent": [16.666666],
            }
        ),
    }


def _rows(book: openpyxl.Workbook, sheet: str) -> list[dict[str, object]]:
    header, *rows = book[sheet].iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_sheet_names_and_headers_in_chinese(zh: Translator) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook(_sheets(), zh)))
    assert book.sheetnames == [zh.gettext(SHEETS[s]) for s in _sheets()]
    assert book.sheetnames == ["周报", "能力", "参与情况", "按协作模式"]
    (report,) = _rows(book, "周报")
    assert report["姓名"] == "Chen Jie" and report["Telegram ID"] == 2001
    assert report["状态"] == "已提交" and report["逾期"] == "是"
    assert report["涉及的规则"] == "儿童隐私和数据保护"  # Babel's list, in Chinese
    assert report["自评：技术研发"] == 4
    (model,) = _rows(book, "按协作模式")
    assert model["协作模式"] == "4 类合作方" and model["能力维度"] == "跨文化运营"
    (participation,) = _rows(book, "参与情况")
    assert participation["已开课程次数"] == 2 and participation["已出勤课程次数"] == 1
    headers = [cell.value for cell in book["能力"][1]]
    assert headers == [zh.gettext(COLUMNS[c][0]) for c in _sheets()["capability"].columns]


def test_dates_are_dates_and_numbers_are_rounded(en: Translator) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook(_sheets(), en)))
    (report,) = _rows(book, "Weekly reports")
    assert report["Week (starting Monday)"] == dt.datetime(2026, 11, 2)
    assert report["Submitted at (UTC)"] == dt.datetime(2026, 11, 6, 2, 0)  # 10:00 in UTC+8
    week_cell, moment_cell = book["Weekly reports"]["C2"], book["Weekly reports"]["G2"]
    assert week_cell.is_date and week_cell.number_format == "yyyy-mm-dd"
    assert moment_cell.is_date and moment_cell.number_format == "yyyy-mm-dd hh:mm"
    assert report["Late"] == "yes"
    (capability,) = _rows(book, "Capability")
    assert capability["Dimension"] == "Technology R&D"
    # Half up, as people round; the improvement worked out from the levels shown, so that
    # they add up (13.61 and 22.45% from the unrounded levels).
    assert capability["Baseline (points)"] == 60.63
    assert capability["Current level (points)"] == 74.23
    assert capability["Improvement (points)"] == 13.60
    assert capability["Improvement (%)"] == 22.4
    assert book["Capability"]["D2"].number_format == "0.00"
    assert book["Capability"]["G2"].number_format == "0.0"
    # Percentages one way: participation too, as the header says.
    (taking_part,) = _rows(book, "Participation")
    assert taking_part["Participation (%)"] == 75.0


def test_the_csv_archive_keeps_its_identifiers() -> None:
    with zipfile.ZipFile(io.BytesIO(csv_zip(_sheets()))) as archive:
        capability = archive.read("capability.csv").decode()
        participation = archive.read("participation.csv").decode()
        reports = archive.read("reports.csv").decode()
    assert capability.startswith("name,student,dimension,baseline,current,points,percent,weeks")
    assert ",tech_rd,60.625," in capability
    assert participation.splitlines()[1].endswith(",0.75")
    assert "2026-11-02,2026-W45,submitted,True" in reports


def test_long_columns_round_half_up_as_the_short_ones(en: Translator) -> None:
    """Score columns are rounded as arrays; the same figures as the decimal rounding of
    `/progress`, binary fractions included (1.005 is stored as 1.00499999999999989...)."""
    joint = pd.DataFrame(
        {
            "student": [1, 1, 1, 1],
            "week": ["2026-11-02", "2026-11-09", "2026-11-16", None],
            "tech_rd": [1.005, 57.125, 99.995, float("nan")],
            "cross_cultural": [-1.125, 0.0, 62.5, 70.0],
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook({"joint_scores": joint}, en)))
    rows = list(book["Joint scores"].iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in rows] == [1.01, 57.13, 100.0, None]
    assert [row[3] for row in rows] == [-1.13, 0, 62.5, 70]
    assert rows[3][1] is None  # no week: an empty cell, not a text


async def test_the_course_sheets_have_chinese_names_and_headers(
    repos: Repos, zh: Translator
) -> None:
    """Every sheet and header of the courses, training pace, demand survey and course
    reviews, as the export service makes them, in Chinese (no machine column name left)."""
    sheets = await course_tables(
        ServiceContext(repos, dt.datetime(2026, 11, 2, tzinfo=dt.UTC), "UTC")
    )
    book = openpyxl.load_workbook(io.BytesIO(workbook(sheets, zh)))
    assert book.sheetnames == ["课程出勤", "培养计划空档", "人才需求", "课程评价", "课程修改"]
    for sheet, frame in zip(book.worksheets, sheets.values(), strict=True):
        header = [cell.value for cell in sheet[1]]
        assert header == [header_of(c, zh) for c in in_language(frame, zh).columns]
        leftover = [h for h in header if h != "Telegram ID" and str(h).isascii()]
        assert leftover == [], (sheet.title, leftover)
