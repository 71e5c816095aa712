"""Buttons already sent keep working after an upgrade: every operation inside callback data
keeps its exact string, and the operations with a value are built and read back the same."""

from __future__ import annotations

import datetime as dt

from bot.telegram import callbacks
from bot.telegram.callbacks import (
    Action,
    Answer,
    ReportOp,
    ReviewOp,
    ScoreOp,
    SurveyOp,
    TopicOp,
    TopicReportOp,
)


def test_the_named_operations_keep_their_strings() -> None:
    assert {op.name: op.value for op in ReportOp} == {
        "RULES_DONE": "rn",
        "NO_EPISODE": "ep0",
        "NO_PROBLEMS": "pr0",
        "FILES_DONE": "ad",
        "REMOVE_FILES": "ax",
        "SUBMIT": "sub",
        "DISCARD": "dis",
        "DISCARD_YES": "disy",
        "KEEP": "keep",
        "FIX": "fix",
    }
    assert [op.value for op in ScoreOp] == ["go", "nc", "ok", "re"]
    assert [op.value for op in TopicOp] == ["pub", "del", "ann", "app", "rep"]
    assert [op.value for op in TopicReportOp] == ["cd", "sub"]
    assert [op.value for op in Answer] == ["yes", "no", "y", "n"]
    assert [op.value for op in SurveyOp] == ["d", "n"]
    assert [op.value for op in ReviewOp] == ["n"]


def test_operations_with_a_value_are_written_and_read_as_before() -> None:
    assert callbacks.week_op(dt.date(2026, 11, 2)) == "w-20261102"
    assert callbacks.week_of_op("w-20261102") == dt.date(2026, 11, 2)
    assert callbacks.week_of_op("w-20261131") is None
    assert callbacks.rule_op("copyright") == "t-copyright"
    assert callbacks.skill_op(9) == "k9" and callbacks.skill_of_op("k9") == 9
    assert callbacks.skill_of_op("k") is None
    assert callbacks.rating_op(3, 5) == "q3-5" and callbacks.rating_of_op("q3-5") == (3, 5)
    assert callbacks.rating_of_op("q3-6") is None
    assert callbacks.rule_of_op("t-copyright") == "copyright"
    assert callbacks.self_score_op("tech_rd", 4) == "s-tech_rd-4"
    assert callbacks.self_score_of_op("s-tech_rd-4") == ("tech_rd", 4)
    assert callbacks.self_score_of_op("s-tech_rd-6") is None
    assert callbacks.edit_op("episode") == "e-episode"
    assert callbacks.edit_of_op("e-episode") == "episode"
    assert callbacks.value_op(2, 85) == "v2-85"
    assert callbacks.value_of_op("v2-85") == (2, 85)
    assert callbacks.value_of_op("v3-85") is None
    assert callbacks.contributor_op(7) == "c7"
    assert callbacks.contributor_of_op("c7") == 7
    assert callbacks.contributor_of_op("cd") is None


def test_the_longest_data_fits_in_64_bytes() -> None:
    longest = [
        callbacks.encode(Action.REPORT, 2**63 - 1, callbacks.self_score_op("cross_cultural", 5)),
        callbacks.encode(Action.TOPIC_REPORT, 2**63 - 1, callbacks.edit_op("contributors")),
        callbacks.encode(Action.REPORT, 2**63 - 1, callbacks.week_op(dt.date(2026, 12, 28))),
    ]
    assert all(len(data.encode()) <= callbacks.MAX_BYTES for data in longest)
    assert callbacks.encode(Action.SCORE, 12, callbacks.value_op(0, 100)) == "sc:12:v0-100"
