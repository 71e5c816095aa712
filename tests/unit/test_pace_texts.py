"""What /plan and the gap warning say, in English and Chinese: weeks in a row folded into one
line, the gap marked, dates in the reader's locale."""

from __future__ import annotations

import datetime as dt

from bot.domain.pace import Activity, Gap, Phase, timeline
from bot.i18n import Translator
from bot.renderers.checkin import render_agenda_gaps
from bot.renderers.pace import render_gap_warning, render_plan
from bot.services.pace import GapWarning, Plan
from db.models import PaceWarning, Person

D = dt.date


def _plan(today: dt.date) -> Plan:
    line = timeline(
        [
            Activity(Phase.PRE_DEPARTURE, D(2026, 11, 12), D(2026, 11, 12)),
            Activity(Phase.OVERSEAS, D(2027, 1, 4), D(2027, 1, 31)),
        ],
        return_weeks=1,
    )
    return Plan(Person(telegram_id=2002, name="Zhao Lei"), "Europe/Berlin", line, today)


def test_the_plan_folds_weeks_and_marks_the_gap(en: Translator, zh: Translator) -> None:
    text = render_plan(_plan(D(2026, 11, 20)), en)
    assert "<b>Programme of Zhao Lei</b> (weeks from Monday, Central European Time)" in text
    assert "• pre-departure training (culture and policy): Nov 12, 2026 – Nov 12, 2026" in text
    assert "⚠️ 7 weeks with no activity, Nov 16, 2026 – Jan 3, 2027" in text
    assert "Nov 9, 2026 (1 week): pre-departure\n" in text
    assert "Nov 16, 2026 – Dec 28, 2026 (7 weeks): ⚠️ gap ←" in text  # this week
    assert "Jan 4, 2027 – Jan 25, 2027 (4 weeks): overseas" in text
    assert "Feb 1, 2027 (1 week): return" in text  # 1-7 February
    chinese = render_plan(_plan(D(2027, 1, 5)), zh)
    assert "<b>Zhao Lei的培养计划</b>" in chinese
    assert "2026年11月16日 – 2026年12月28日（7 周）：⚠️ 空档" in chinese
    assert "2027年1月4日 – 2027年1月25日（4 周）：海外 ←" in chinese


def test_nothing_planned(en: Translator) -> None:
    plan = Plan(Person(telegram_id=2002, name="Zhao Lei"), "UTC", None, D(2026, 11, 20))
    assert "Nothing is planned yet" in render_plan(plan, en)


def test_the_gap_warning_and_the_agenda(en: Translator, zh: Translator) -> None:
    warning = GapWarning(Person(telegram_id=2002, name="Zhao <Lei>"), Gap(D(2026, 11, 16), 1))
    text = render_gap_warning(warning, en)
    assert "Zhao &lt;Lei&gt; has 1 week with no activity, Nov 16, 2026 – Nov 22, 2026" in text
    assert "/plan 2002" in text
    assert "/plan 2002" in render_gap_warning(warning, zh) and "空档" in render_gap_warning(
        warning, zh
    )
    assert render_agenda_gaps([], en) == []
    warned = PaceWarning(student_id=1, gap_start=D(2026, 11, 16), gap_end=D(2026, 11, 22))
    assert render_agenda_gaps([(warned, warning.student)], en) == [
        "Training pace: 1 gap in a student's programme to discuss:",
        "• Zhao &lt;Lei&gt;: 1 week with no activity, Nov 16, 2026 – Nov 22, 2026",
    ]


def test_the_agenda_in_chinese_uses_full_width_punctuation(zh: Translator) -> None:
    warned = PaceWarning(student_id=1, gap_start=D(2026, 11, 16), gap_end=D(2026, 11, 29))
    head, line = render_agenda_gaps([(warned, Person(telegram_id=2002, name="Zhao Lei"))], zh)
    assert head == "培养节奏：学生培养计划中有 1 处空档需要讨论："
    assert line == "• Zhao Lei：2 周没有安排，2026年11月16日 – 2026年11月29日"
