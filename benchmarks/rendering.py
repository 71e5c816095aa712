"""A round of weekly reminders rendered, with dates in the reader's locale (Babel, through
`bot.i18n.dates`), beside the strftime forms they replaced: `python -m benchmarks.rendering`.

Case: 10,000 students, half reading English and half Chinese, in three time zones, are each
reminded of this week's report (`render_student_reminder`: the week, its days and the
deadline). Baseline: the same message with the week and deadline written by strftime, as
before issue 26. Target: the round within 1 s, so that a scheduler tick stays short.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from bot.domain.reports import Stage, week_label
from bot.i18n import Translations, Translator
from bot.renderers.reports import render_student_reminder

STUDENTS = 10_000
ZONES = ("Asia/Bangkok", "Asia/Shanghai", "Europe/Berlin")
WEEK = dt.date(2026, 11, 2)
DEADLINE = dt.datetime(2026, 11, 9, 5, 0, tzinfo=dt.UTC)


def _strftime_reminder(zone: str, t: Translator) -> str:
    """The message as it was written before: `02 Nov to 08 Nov`, `Mon 09 Nov 12:00`."""
    end = WEEK + dt.timedelta(days=6)
    week = f"week {week_label(WEEK)} ({WEEK.strftime('%d %b')} to {end.strftime('%d %b')})"
    deadline = DEADLINE.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M")
    text = t.gettext("Time for your weekly report for {week}: send /report. It is due {deadline}.")
    return text.format(week=week, deadline=deadline)


def main() -> None:
    translations = Translations.load()
    readers = [translations.for_language(("en", "zh")[i % 2]) for i in range(STUDENTS)]
    zones = [ZONES[i % len(ZONES)] for i in range(STUDENTS)]
    cases = {
        "strftime (before)": lambda i: _strftime_reminder(zones[i], readers[i]),
        "Babel (bot.i18n.dates)": lambda i: render_student_reminder(
            Stage.REMIND, WEEK, DEADLINE, zones[i], readers[i]
        ),
    }
    print("| case | reminders | seconds | µs each |\n|---|---|---|---|")
    for name, render in cases.items():
        start = time.perf_counter()
        for i in range(STUDENTS):
            render(i)
        seconds = time.perf_counter() - start
        print(f"| {name} | {STUDENTS:,} | {seconds:.3f} | {seconds / STUDENTS * 1e6:.1f} |")
    verdict = "HOLDS" if seconds < 1 else "MISSED"
    print(f"\ntarget (a round of {STUDENTS:,} reminders within 1 s): {verdict} ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
