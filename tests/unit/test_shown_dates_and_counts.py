"""Dates, times, durations, zones and counts as each reader writes them: Babel's forms in
English and in Chinese, never a hand-made `02 Nov` or `31m` in a Chinese message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from bot.domain.checkin import ScheduleError, parse_schedule
from bot.domain.credits import CreditRules
from bot.domain.digest import Thresholds
from bot.domain.reports import Stage
from bot.i18n import Translations, Translator, dates
from bot.renderers import aside, labelled, listed, plural, then
from bot.renderers.checkin import render_history_line, render_next, render_schedule_problem
from bot.renderers.credits import render_rules
from bot.renderers.digest import render_digest_summary
from bot.renderers.liaison import render_figure_line
from bot.renderers.reports import render_student_reminder
from bot.services.digest import Digest
from db.models import Checkin

THIN = "\u2009"  # CLDR's English ranges: `Nov 2 – 8`, thin spaces around the dash


@pytest.fixture(scope="module")
def en() -> Translator:
    return Translations.load().for_language("en")


@pytest.fixture(scope="module")
def zh() -> Translator:
    return Translations.load().for_language("zh")


def test_days_and_ranges(en: Translator, zh: Translator) -> None:
    day, monday, sunday = dt.date(2026, 11, 19), dt.date(2026, 11, 2), dt.date(2026, 11, 8)
    assert dates.day(day, en) == "Nov 19, 2026"
    assert dates.day(day, zh) == "2026年11月19日"
    assert dates.day_range(monday, sunday, en) == f"Nov 2{THIN}–{THIN}8"
    assert dates.day_range(monday, sunday, zh) == "11月2日至8日"
    assert dates.day_range(dt.date(2026, 10, 26), dt.date(2026, 11, 1), zh) == "10月26日至11月1日"
    # A range across the new year says both years.
    new_year = dates.day_range(dt.date(2026, 12, 28), dt.date(2027, 1, 3), zh)
    assert "2026年12月28日" in new_year and "2027年1月3日" in new_year


def test_moments_are_in_the_zone_given(en: Translator, zh: Translator) -> None:
    # 20:00 UTC on Sunday is already Monday 04:00 in Shanghai.
    late = dt.datetime(2026, 11, 8, 20, 0, tzinfo=dt.UTC)
    assert dates.moment(late, "Asia/Shanghai", en) == "Nov 9, 2026, 04:00"
    assert dates.moment(late, "Asia/Shanghai", zh) == "2026年11月9日 04:00"
    assert dates.moment_soon(late, "Asia/Shanghai", en) == "Mon, Nov 9, 04:00"
    assert dates.moment_soon(late, "Asia/Shanghai", zh) == "11月9日周一 04:00"
    assert dates.moment_soon(late, "Europe/London", zh) == "11月8日周日 20:00"
    assert dates.day_of(late, "Asia/Shanghai", zh) == "2026年11月9日"


def test_weeks_durations_and_zones(en: Translator, zh: Translator) -> None:
    assert dates.week(dt.date(2026, 11, 2), en) == "2026-W45"
    assert dates.week(dt.date(2027, 1, 4), en) == "2027-W01"
    assert dates.week(dt.date(2027, 1, 4), zh) == "2027年第1周"
    assert dates.duration(dt.timedelta(minutes=31), en) == "31m"
    assert dates.duration(dt.timedelta(minutes=31), zh) == "31分钟"
    assert dates.duration(dt.timedelta(days=1, hours=2, seconds=5), en) == "1d 2h 5s"
    assert dates.duration(dt.timedelta(days=14), zh) == "14天"
    assert dates.duration(dt.timedelta(hours=4, minutes=30), zh) == "4小时30分钟"
    assert dates.duration(dt.timedelta(), zh) == "0秒"
    assert dates.zone_name("Asia/Shanghai", en) == "China Time"
    assert dates.zone_name("Asia/Shanghai", zh) == "中国时间"
    assert dates.zone_name("Asia/Bangkok", zh) == "泰国时间"
    assert dates.zone_name("UTC", zh) == "UTC"
    assert dates.zone_name("Mars/Olympus", zh) == "Mars/Olympus"  # never a crash


def test_a_weekly_reminder_reads_naturally_in_both_languages(
    en: Translator, zh: Translator
) -> None:
    week = dt.date(2026, 11, 2)
    deadline = dt.datetime(2026, 11, 9, 5, 0, tzinfo=dt.UTC)  # 12:00 in Bangkok
    english = render_student_reminder(Stage.REMIND, week, deadline, "Asia/Bangkok", en)
    chinese = render_student_reminder(Stage.REMIND, week, deadline, "Asia/Bangkok", zh)
    assert english == (
        f"Time for your weekly report for week 2026-W45 (Nov 2{THIN}–{THIN}8): "
        "send /report. It is due Mon, Nov 9, 12:00."
    )
    assert "2026年第45周（11月2日至8日）" in chinese and "11月9日周一 12:00" in chinese
    assert "Nov" not in chinese and "Mon" not in chinese


def test_the_requests_figures_count_and_time_in_the_readers_words(
    en: Translator, zh: Translator
) -> None:
    half_hour, none = dt.timedelta(minutes=31, seconds=20), None
    assert render_figure_line("edtech", 1, half_hour, half_hour, 1.0, en) == (
        "edtech: 1 question, 31m 20s / 31m 20s, 100%"
    )
    assert render_figure_line("edtech", 2, half_hour, none, 0.5, en) == (
        "edtech: 2 questions, 31m 20s / —, 50%"
    )
    assert render_figure_line("edtech", 1, half_hour, none, 0, zh) == (
        "edtech：1 个问题，31分钟20秒 / —，0%"
    )


def test_the_next_checkin_and_its_history(en: Translator, zh: Translator) -> None:
    start = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
    assert render_next(start, None, "Asia/Shanghai", en) == (
        "The next check-in opens on Nov 2, 2026, 15:00 (China Time)."
    )
    assert render_next(start, None, "Asia/Shanghai", zh) == (
        "下次例会将于 2026年11月2日 15:00（中国时间）开启。"
    )
    checkin = Checkin(id=1, opened_at=start, closes_at=start, summary={"parties": {"nbu": ["Li"]}})
    assert render_history_line(checkin, "Asia/Shanghai", en) == "#1 Nov 2, 2026: 1/1 party"
    assert render_history_line(checkin, "Asia/Shanghai", zh) == "#1 2026年11月2日：1/1 个合作方"


def test_the_digest_heading_puts_the_year_where_each_language_does(
    en: Translator, zh: Translator
) -> None:
    digest = Digest(dt.date(2026, 11, 1), [], Thresholds(), [])
    assert render_digest_summary(digest, en) == "Monthly digest, November 2026: 0 parties."
    assert render_digest_summary(digest, zh) == "月度简报，2026年11月：0 个合作方。"


def test_punctuation_and_counts_built_in_code(en: Translator, zh: Translator) -> None:
    assert labelled("Hours", 32, en) == "Hours: 32"
    assert labelled("小时数", 32, zh) == "小时数：32"
    assert aside("Wang Fang", "企业", zh) == "Wang Fang（企业）"
    assert aside("Wang Fang", "enterprise", en) == "Wang Fang (enterprise)"
    assert listed(["Wang Fang", "Tan Wei Ming"], zh) == "Wang Fang、Tan Wei Ming"
    assert listed(["Wang Fang", "Tan Wei Ming"], en) == "Wang Fang, Tan Wei Ming"
    assert [plural(Decimal(v)) for v in ("1", "1.0", "1.5", "20")] == [1, 1, 2, 20]
    # Counts from pandas are numpy integers, which gettext alone refuses.
    assert en.ngettext("{n} kind", "{n} kinds", np.int64(1)) == "{n} kind"
    assert en.ngettext("{n} kind", "{n} kinds", np.int64(4)) == "{n} kinds"


@pytest.mark.parametrize(
    ("typed", "reason", "chinese"),
    [
        ("first someday 10:00", "weekday", "someday 不是星期"),
        ("first mon 25:00", "time", "25:00 不是有效的时刻"),
        ("30 10:00", "day", "30：日期须在 1 到 28 之间"),
        ("fifth mon 10:00", "ordinal", "fifth：应为 first"),
        ("monday", "shape", "安排须写成"),
    ],
)
def test_a_schedule_that_cannot_be_read_is_explained_in_the_readers_language(
    typed: str, reason: str, chinese: str, en: Translator, zh: Translator
) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(typed)
    assert caught.value.reason == reason
    said = render_schedule_problem(caught.value.reason, caught.value.word, zh)
    assert chinese in said and str(caught.value) not in said  # not the English reason
    assert said.startswith("无法识别该时间安排")
    assert "Examples: /checkin schedule" in render_schedule_problem(reason, caught.value.word, en)


def test_the_credit_rules_say_credit_for_one(en: Translator, zh: Translator) -> None:
    rules = CreditRules(Decimal(2), Decimal(40), Decimal(1), Decimal("0.5"))
    assert render_rules(rules, en) == (
        "Rules: 2 credits per full month abroad; 1 credit per 40 hours of enterprise "
        "training; 0.5 credits per accepted research report cycle."
    )
    assert render_rules(rules, zh) == (
        "规则：海外每满一个月 2 学分；企业培训每 40 小时 1 学分；每个通过的科研报告周期 0.5 学分。"
    )


def test_sentences_follow_each_other_as_each_language_writes_them(
    en: Translator, zh: Translator
) -> None:
    assert then("Saved.", "Thank you!", en) == "Saved. Thank you!"
    assert then("已保存。", "谢谢！", zh) == "已保存。谢谢！"
