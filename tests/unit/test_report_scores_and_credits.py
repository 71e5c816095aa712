"""Weekly reports, the capability model and credits, checked against figures worked out by
hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd
import pytest

from bot.domain.capability import (
    ModelRules,
    capability,
    collaboration_models,
    count_disagreements,
    cronbach_alpha,
    disagreements,
    group_summary,
    joint_scores,
    participation_rate,
    scoring_reliability,
)
from bot.domain.credits import full_months, overseas_credits
from bot.domain.manual import DEFAULT_MANUAL
from bot.domain.reports import (
    DEFAULT_CALENDAR,
    DraftState,
    InputProblem,
    ReportCalendar,
    Stage,
    check_attachment,
    check_text,
    expected_weeks,
    is_late,
    next_step,
    open_weeks,
    parse_hours,
    parse_score,
    stages_due,
    week_label,
    week_of,
)

D = dt.date
UTC = dt.UTC


def test_weeks_are_iso_weeks_named_by_their_monday() -> None:
    assert week_of(D(2026, 11, 22)) == D(2026, 11, 16)  # a Sunday
    assert week_of(D(2026, 11, 16)) == D(2026, 11, 16)
    assert week_label(D(2026, 11, 16)) == "2026-W47"
    assert week_label(D(2026, 12, 28)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert week_label(D(2027, 1, 4)) == "2027-W01"


def test_expected_weeks_cover_weekdays_of_the_stay() -> None:
    # Tue 1 Sep 2026 to Sat 31 Oct: the week of 1 Sep counts, the one of Sat 31 Oct too.
    weeks = expected_weeks(D(2026, 9, 1), D(2026, 10, 31), D(2027, 1, 1))
    assert weeks[0] == D(2026, 8, 31) and weeks[-1] == D(2026, 10, 26) and len(weeks) == 9
    # Arriving on a Saturday: that week expects nothing.
    assert expected_weeks(D(2026, 9, 5), D(2026, 9, 20), D(2027, 1, 1)) == [
        D(2026, 9, 7),
        D(2026, 9, 14),
    ]
    # Only up to today's week.
    assert len(expected_weeks(D(2026, 9, 1), D(2026, 12, 31), D(2026, 9, 9))) == 2


def test_reminders_follow_the_students_zone() -> None:
    monday = D(2026, 11, 16)
    bangkok = "Asia/Bangkok"  # UTC+7: Friday 17:00 there is 10:00 UTC
    assert DEFAULT_CALENDAR.reminder.on(monday, bangkok) == dt.datetime(
        2026, 11, 20, 10, tzinfo=UTC
    )
    before = dt.datetime(2026, 11, 20, 9, 59, tzinfo=UTC)
    assert stages_due(monday, DEFAULT_CALENDAR, bangkok, before) == []
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert stages_due(monday, DEFAULT_CALENDAR, bangkok, at) == [Stage.REMIND]
    # Monday 09:00 and 12:00 in Bangkok are 02:00 and 05:00 UTC.
    monday_after = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert stages_due(monday, DEFAULT_CALENDAR, bangkok, monday_after) == [
        Stage.REMIND,
        Stage.REMIND_AGAIN,
    ]
    overdue = dt.datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert stages_due(monday, DEFAULT_CALENDAR, bangkok, overdue)[-1] is Stage.OVERDUE
    # Missing once the week after has ended: Monday 30 Nov 00:00 in Bangkok.
    missing = dt.datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert stages_due(monday, DEFAULT_CALENDAR, bangkok, missing)[-1] is Stage.MISSING
    # The same moment is not yet Friday 17:00 in Los Angeles (UTC-8 in November).
    assert stages_due(monday, DEFAULT_CALENDAR, "America/Los_Angeles", at) == []
    assert is_late(overdue + dt.timedelta(seconds=1), monday, DEFAULT_CALENDAR, bangkok)
    assert not is_late(overdue, monday, DEFAULT_CALENDAR, bangkok)


def test_calendar_rejects_an_order_that_makes_no_sense() -> None:
    with pytest.raises(ValueError, match="order"):
        ReportCalendar.parse("fri 17:00", "mon 14:00", "mon 12:00")
    with pytest.raises(ValueError, match="weekday"):
        ReportCalendar.parse("friday 17:00", "mon 09:00", "mon 12:00")


def test_open_weeks_offer_a_late_week_first() -> None:
    expected = [D(2026, 11, 9), D(2026, 11, 16)]
    today = D(2026, 11, 17)
    assert open_weeks(today, expected, []) == [D(2026, 11, 9), D(2026, 11, 16)]
    assert open_weeks(today, expected, [D(2026, 11, 9)]) == [D(2026, 11, 16)]
    assert open_weeks(D(2026, 11, 24), expected, []) == [D(2026, 11, 16)]  # week 46 is past
    assert open_weeks(today, expected, expected) == []


def test_next_step_is_the_first_missing_part() -> None:
    empty = DraftState(False, None, None, None, False, None, [None, None, None], False)
    assert next_step(empty) == "week"
    partial = DraftState(True, "x" * 30, 38.0, None, False, None, [3, None, None], False)
    assert next_step(partial) == "episode"
    full = DraftState(True, "x" * 30, 38.0, "e", True, "", [3, 4, 5], True)
    assert next_step(full) == "review"


def test_input_checks() -> None:
    assert parse_hours("37,5 h") == 37.5
    assert parse_hours("40") == 40.0
    assert parse_hours("12 小时") == 12.0
    for bad in ("lots", "-3", "90", "3.14.1"):
        with pytest.raises(InputProblem):
            parse_hours(bad)
    assert parse_score("0") == 0 and parse_score(" 100 ") == 100
    for bad in ("101", "7.5", "x", "-1"):
        with pytest.raises(InputProblem):
            parse_score(bad)
    with pytest.raises(InputProblem) as short:
        check_text("activities", "too short")
    assert short.value.code == "too_short"
    with pytest.raises(InputProblem) as long:
        check_text("episode", "x" * 2001)
    assert long.value.code == "too_long" and long.value.limit == 2000
    check_attachment("plan.PDF", 1000, 0)
    check_attachment(None, 1000, 4)  # a photo
    for name, size, before, code in (
        ("virus.exe", 10, 0, "file_type"),
        ("big.pdf", 11 * 1024 * 1024, 0, "file_too_big"),
        ("sixth.pdf", 10, 5, "too_many_files"),
    ):
        with pytest.raises(InputProblem) as problem:
            check_attachment(name, size, before)
        assert problem.value.code == code
    assert [DEFAULT_MANUAL.level_of(s).name["en"] for s in (0, 39, 40, 74.9, 75, 100)] == [
        "beginning",
        "beginning",
        "developing",
        "competent",
        "proficient",
        "exemplary",
    ]


def _scores(
    rows: list[tuple[int, str, str, float | None, float | None, float | None]],
) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["student", "week", "party_kind", "tech_rd", "cross_cultural", "rule_adaptation"],
    )
    frame["week"] = pd.to_datetime(frame["week"])
    return frame


def test_joint_score_is_a_weighted_mean_over_the_parties_present() -> None:
    scores = _scores(
        [
            (1, "2026-09-07", "university", 60, 70, None),
            (1, "2026-09-07", "enterprise", 80, 50, 90),
        ]
    )
    equal = joint_scores(scores, ModelRules())
    assert equal.loc[0, "tech_rd"] == 70 and equal.loc[0, "cross_cultural"] == 60
    assert equal.loc[0, "rule_adaptation"] == 90  # only the enterprise scored it
    weighted = joint_scores(scores, ModelRules(weights={"enterprise": 3}))
    # (60*1 + 80*3) / 4 = 75; (70 + 150) / 4 = 55
    assert weighted.loc[0, "tech_rd"] == 75 and weighted.loc[0, "cross_cultural"] == 55


def test_baseline_current_and_improvement() -> None:
    # Joint tech_rd scores over five weeks: 50, 60, 65, 70, 80 (one party, so joint = score).
    weeks = ["2026-09-07", "2026-09-14", "2026-09-21", "2026-09-28", "2026-10-05"]
    scores = _scores(
        [
            (7, w, "university", s, 40.0, None)
            for w, s in zip(weeks, (50, 60, 65, 70, 80), strict=True)
        ]
    )
    cap = capability(
        joint_scores(scores, ModelRules()), ModelRules(baseline_weeks=2, current_weeks=2)
    )
    tech = cap[cap["dimension"] == "tech_rd"].iloc[0]
    assert tech["baseline"] == 55  # (50 + 60) / 2
    assert tech["current"] == 75  # (70 + 80) / 2
    assert tech["points"] == 20
    assert math.isclose(tech["percent"], 20 / 55 * 100)
    assert tech["weeks"] == 5
    flat = cap[cap["dimension"] == "cross_cultural"].iloc[0]
    assert flat["points"] == 0 and flat["percent"] == 0
    assert set(cap["dimension"]) == {"tech_rd", "cross_cultural"}  # nobody scored the third


def test_disagreement_is_flagged_above_the_threshold() -> None:
    scores = _scores(
        [
            (1, "2026-09-07", "university", 60, 70, 80),
            (1, "2026-09-07", "enterprise", 85, 80, 80),
            (1, "2026-09-07", "research", 70, 75, 100),
        ]
    )
    flagged = disagreements(scores, ModelRules(disagreement=20))
    # tech_rd spreads 25 (60..85): flagged; cross_cultural 10: not; rule_adaptation 20: not (>)
    assert flagged[["dimension", "low", "high", "spread"]].values.tolist() == [
        ["tech_rd", 60, 85, 25]
    ]
    # /progress counts them without building the rows; the counts agree.
    assert count_disagreements(scores, ModelRules(disagreement=20)) == 1
    assert (
        count_disagreements(scores, ModelRules(disagreement=9))
        == 3
        == len(disagreements(scores, ModelRules(disagreement=9)))
    )
    assert count_disagreements(scores.iloc[0:0], ModelRules()) == 0


def test_cronbach_alpha_by_hand() -> None:
    # Three raters, four cases.
    items = pd.DataFrame({"a": [2, 3, 4, 5], "b": [3, 3, 5, 5], "c": [1, 2, 4, 4]})
    # item variances (ddof=1): a 1.6667, b 1.3333, c 2.25 -> 5.25;
    # totals 6, 8, 13, 14 -> mean 10.25, variance 14.9167; alpha = 1.5 * (1 - 5.25/14.9167)
    assert math.isclose(cronbach_alpha(items) or 0, 1.5 * (1 - 5.25 / (179 / 12)), rel_tol=1e-9)
    assert math.isclose(cronbach_alpha(items) or 0, 0.97207, abs_tol=1e-5)
    assert cronbach_alpha(items[["a"]]) is None  # one rater
    assert cronbach_alpha(items.iloc[:2]) is None  # two cases
    constant = pd.DataFrame({"a": [5, 5, 5], "b": [5, 5, 5]})
    assert cronbach_alpha(constant) is None


def test_reliability_uses_party_kinds_as_raters() -> None:
    rows = []
    for student, (u, e) in enumerate([(60, 62), (70, 71), (80, 83), (90, 88)], start=1):
        rows += [
            (student, "2026-09-07", "university", u, None, None),
            (student, "2026-09-07", "enterprise", e, None, None),
        ]
    alpha = scoring_reliability(_scores(rows))
    expected = cronbach_alpha(pd.DataFrame({"u": [60, 70, 80, 90], "e": [62, 71, 83, 88]}))
    assert alpha["tech_rd"] == pytest.approx(expected)
    assert alpha["cross_cultural"] is None  # no data


def test_collaboration_model_and_groups() -> None:
    scores = _scores(
        [
            (1, "2026-09-07", "university", 50, 50, 50),
            (1, "2026-09-07", "enterprise", 70, 70, 70),
            (2, "2026-09-07", "university", 60, 60, 60),
            (2, "2026-09-07", "enterprise", 60, 60, 60),
            (2, "2026-09-14", "research", 80, 80, 80),
            (2, "2026-09-14", "overseas_site", 80, 80, 80),
        ]
    )
    models = collaboration_models(scores)
    assert models.to_dict() == {1: 2, 2: 4}
    cap = capability(
        joint_scores(scores, ModelRules()), ModelRules(baseline_weeks=1, current_weeks=1)
    )
    groups = models.reset_index()
    summary = group_summary(cap, groups, "model")
    tech = summary[summary["dimension"] == "tech_rd"].set_index("model")
    assert tech.loc[2, "students"] == 1 and tech.loc[2, "points"] == 0
    assert tech.loc[4, "baseline"] == 60 and tech.loc[4, "current"] == 80


def test_participation_rate() -> None:
    assert participation_rate(3, 4) == 0.75
    assert participation_rate(0, 0) is None
    assert participation_rate(5, 4) == 1.0


def test_full_months_and_credits() -> None:
    assert full_months(D(2026, 9, 1), D(2026, 9, 30)) == 1
    assert full_months(D(2026, 9, 1), D(2026, 9, 29)) == 0
    assert full_months(D(2026, 9, 15), D(2026, 11, 14)) == 2
    assert full_months(D(2026, 9, 15), D(2026, 11, 13)) == 1
    assert full_months(D(2027, 1, 31), D(2027, 2, 27)) == 0
    assert full_months(D(2027, 1, 31), D(2027, 2, 28)) == 1
    assert full_months(D(2026, 9, 1), D(2027, 1, 31)) == 5
    credits = overseas_credits(D(2026, 9, 1), D(2027, 1, 31), D(2026, 11, 22))
    assert (credits.months, credits.earned) == (2, Decimal(4))  # September and October
    assert (credits.planned_months, credits.planned) == (5, Decimal(10))
    half = overseas_credits(D(2026, 9, 1), D(2027, 1, 31), D(2027, 3, 1), Decimal("1.5"))
    assert half.earned == Decimal("7.5")
