"""Numbers from people and buttons: ASCII digits only, within bounds, a reason otherwise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.domain.checkin import parse_open_for
from bot.domain.numbers import (
    INT32_MAX,
    NotANumber,
    parse_decimal,
    parse_int,
    row_id,
    telegram_id,
)
from bot.domain.reports import InputProblem, parse_hours, parse_score
from bot.domain.score_import import parse_scores_csv
from bot.domain.time import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        (" 12 ", 12),
        ("0", NotANumber("out_of_range", 1, 100)),
        ("101", NotANumber("out_of_range", 1, 100)),
        ("²", NotANumber("not_number", 1, 100)),
        ("٣", NotANumber("not_number", 1, 100)),  # an Arabic-Indic 3: int() reads it
        ("３", NotANumber("not_number", 1, 100)),  # a full-width 3
        ("-5", NotANumber("not_number", 1, 100)),
        ("1e3", NotANumber("not_number", 1, 100)),
        ("9" * 400, NotANumber("not_number", 1, 100)),  # never converted at all
        ("", NotANumber("not_number", 1, 100)),
    ],
)
def test_parse_int(text: str, expected: object) -> None:
    assert parse_int(text, 1, 100) == expected


def test_ids_fit_their_columns() -> None:
    assert row_id("#12") == 12 and row_id(str(INT32_MAX)) == INT32_MAX
    assert row_id(str(INT32_MAX + 1)) is None and row_id("99999999999999999999") is None
    assert row_id("0") is None and row_id("²") is None and row_id("##1") is None
    assert telegram_id("2001") == 2001 and telegram_id("7" * 15) == int("7" * 15)
    assert telegram_id("9" * 16) is None and telegram_id("²") is None


def test_parse_decimal() -> None:
    low, high = Decimal("0.01"), Decimal(24)
    assert parse_decimal("7,5", low, high) == Decimal("7.5")
    assert parse_decimal("7.50", low, high) == Decimal("7.5")
    assert parse_decimal("24", low, high) == Decimal(24)
    assert parse_decimal("24.01", low, high) == NotANumber("out_of_range", low, high, 2)
    assert parse_decimal("0", low, high) == NotANumber("out_of_range", low, high, 2)
    assert parse_decimal("1.005", low, high) == NotANumber("decimals", low, high, 2)
    for text in ("²", "1.²", "NaN", "Infinity", "1e2", "1.", ".5", "9" * 40):
        assert parse_decimal(text, low, high) == NotANumber("not_number", low, high, 2), text


def test_the_domain_parsers_use_it() -> None:
    with pytest.raises(InputProblem):
        parse_score("²")
    with pytest.raises(InputProblem, match="too_many_hours"):
        parse_hours("81")
    assert parse_hours("37,5 h") == 37.5
    with pytest.raises(ValueError, match="far too long"):
        parse_duration("99999999999999999999d")  # timedelta would overflow
    assert parse_open_for("14d") == dt.timedelta(days=14)
    with pytest.raises(ValueError, match="from 1h to 14d"):
        parse_open_for("99999h")
    rows, problems = parse_scores_csv(
        "student,date,party_kind,dimension,score\n"
        "²,2026-09-07,university,tech_rd,50\n"
        "99999999999999999999,2026-09-07,university,tech_rd,²\n"
    )
    assert not rows and len(problems) == 2 and "score '²'" in problems[1]


def test_documents_are_judged_by_name_type_and_bytes() -> None:
    from bot.domain.files import document_allowed

    pdf, exe = b"%PDF-1.7 ...", b"MZ\x90\x00\x03\x00"
    assert document_allowed("a.pdf", "application/pdf", pdf)
    assert document_allowed("a.PDF", None, pdf) and document_allowed("a.pdf", "", pdf)
    assert not document_allowed("x.exe.pdf", "application/x-msdownload", pdf)
    assert not document_allowed("a.pdf", "application/pdf", exe)
    assert not document_allowed("a.exe", "application/octet-stream", exe)
    assert not document_allowed("noname", None, pdf) and not document_allowed(None, None, pdf)
    assert document_allowed("a.docx", "application/zip", b"PK\x03\x04rest")
    assert document_allowed(
        "a.xls", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    )
    assert document_allowed("a.txt", "text/plain; charset=utf-8", "第一周".encode())
    assert document_allowed("a.txt", "text/plain", "第一周".encode()[:-1])  # cut at the end
    assert not document_allowed("a.txt", "text/plain", b"\x7fELF\x02\x01\x01\x00")
    assert document_allowed("a.png", "image/png", b"\x89PNG\r\n\x1a\n...")
