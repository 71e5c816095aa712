"""Size limits of the places the bot writes to: a message holds 4,096 characters, a
worksheet 1,048,576 rows."""

from __future__ import annotations


def test_long_listings_fit_in_one_message() -> None:
    from bot.renderers import MAX_TEXT, fit

    lines = [f"line {i} " + "x" * 300 for i in range(40)]
    text = fit(lines, lambda n: f"… and {n} more")
    assert len(text) <= MAX_TEXT
    kept = text.count("\n")  # the lines kept, then the last line
    assert text.endswith(f"… and {40 - kept} more") and kept > 5
    assert fit(["a", "b"], lambda n: "never") == "a\nb"


def test_a_table_too_long_for_a_worksheet_is_left_to_its_csv() -> None:
    import io
    import zipfile

    import openpyxl
    import pandas as pd

    from bot.i18n import Translations
    from bot.renderers.export import workbook
    from bot.services.export import csv_zip

    sheets = {
        "scores": pd.DataFrame({"student": range(12), "score": range(12)}),
        "capability": pd.DataFrame({"student": [1, 2], "current": [70.0, 80.0]}),
    }
    book = openpyxl.load_workbook(
        io.BytesIO(workbook(sheets, Translations.load().for_language("en"), max_rows=10)),
        read_only=True,
    )
    note = list(book["Scores"].iter_rows(values_only=True))
    assert note == [
        ("Note",),
        ("12 rows: too many for a sheet; see scores.csv in the CSV archive",),
    ]
    assert len(list(book["Capability"].iter_rows(values_only=True))) == 3  # the header, 2 rows
    with zipfile.ZipFile(io.BytesIO(csv_zip(sheets))) as archive:
        assert archive.read("scores.csv").decode().count("\n") == 13  # every row is there
