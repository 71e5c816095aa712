"""Dates, times, weekdays, durations and time zones as the reader writes them, by Babel.

Every renderer shows moments through these few helpers, so that a Chinese reader sees
`11月2日至8日` and `31分钟` where an English one sees `Nov 2 – 8` and `31m`: Babel holds the
CLDR patterns of both languages (word order, month and weekday names, the joining word of
a range), none of it is written by hand here. The domain keeps its machine forms
(`mon 09:00`, `2026-W45`, `30m`), which stay what people type and what files hold.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_interval, format_skeleton, get_timezone_name
from babel.lists import format_list
from babel.units import format_unit

from bot.i18n import Translator

# The Babel locale of each language the bot speaks (Simplified Chinese as written in China).
LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
_UNITS = (
    (86400, "duration-day"),
    (3600, "duration-hour"),
    (60, "duration-minute"),
    (1, "duration-second"),
)


def locale_of(t: Translator) -> str:
    """The Babel locale for the reader's language (English when unknown)."""
    return LOCALES.get(t.language, "en")


def _zoned(when: dt.datetime, zone: str) -> dt.datetime:
    return when.astimezone(ZoneInfo(zone))


# Babel parses a pattern on each call (about 0.1 ms); a round of reminders asks the same few
# weeks, deadlines and zones for every student, so each form is worked out once.
@functools.lru_cache(maxsize=4096)
def _day(value: dt.date, locale: str) -> str:
    return format_skeleton("yMMMd", value, locale=locale)


@functools.lru_cache(maxsize=4096)
def _range(start: dt.date, end: dt.date, locale: str) -> str:
    skeleton = "MMMd" if start.year == end.year else "yMMMd"
    return format_interval(start, end, skeleton, locale=locale)


@functools.lru_cache(maxsize=4096)
def _moment(when: dt.datetime, zone: str, skeleton: str, locale: str) -> str:
    local = _zoned(when, zone)
    pattern = str(Locale.parse(locale).datetime_formats["medium"])  # `{1}, {0}`, `{1} {0}`
    date_text = format_skeleton(skeleton, local, locale=locale)
    return pattern.replace("{1}", date_text).replace(
        "{0}", format_skeleton("Hm", local, locale=locale)
    )


@functools.lru_cache(maxsize=1024)
def _duration(seconds: int, locale: str) -> str:
    rest, parts = max(0, seconds), []
    for size, unit in _UNITS:
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(format_unit(amount, unit, length="narrow", locale=locale))
    if not parts:
        parts = [format_unit(0, "duration-second", length="narrow", locale=locale)]
    return format_list(parts, style="unit-narrow", locale=locale)


@functools.lru_cache(maxsize=256)
def _zone_name(zone: str, locale: str) -> str:
    if zone in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):  # stored before it was checked: shown as is
        return zone
    return str(get_timezone_name(info, "long", zone_variant="generic", locale=locale))


def day(value: dt.date, t: Translator) -> str:
    """`Nov 19, 2026` / `2026年11月19日`."""
    return _day(value, locale_of(t))


def day_of(when: dt.datetime, zone: str, t: Translator) -> str:
    """The day it is at `when` in `zone`, as `day` writes it."""
    return day(_zoned(when, zone).date(), t)


def week(monday: dt.date, t: Translator) -> str:
    """The ISO week a Monday starts: `2026-W45` / `2026年第45周` (files keep `2026-W45`)."""
    year, number, _ = monday.isocalendar()
    # TRANSLATORS: an ISO week: {year} 2026, {week} 45 (written 2026-W45 in English).
    return t.gettext("{year}-W{week:02d}").format(year=year, week=number)


def day_range(start: dt.date, end: dt.date, t: Translator) -> str:
    """`Nov 2 – 8` / `11月2日至8日`; the year too when the range crosses one."""
    return _range(start, end, locale_of(t))


def moment(when: dt.datetime, zone: str, t: Translator) -> str:
    """A date and time in `zone`: `Nov 9, 2026, 14:00` / `2026年11月9日 14:00` (24-hour, as
    the consortium's schedules are written)."""
    return _moment(when, zone, "yMMMd", locale_of(t))


def moment_soon(when: dt.datetime, zone: str, t: Translator) -> str:
    """A moment in the coming days, with its weekday: `Mon, Nov 9, 12:00` / `11月9日周一 12:00`."""
    return _moment(when, zone, "MMMEd", locale_of(t))


def duration(delta: dt.timedelta, t: Translator) -> str:
    """`1h 30m` / `1小时30分钟`: every non-zero unit, from days to seconds, in the reader's
    narrow unit forms (CLDR's), joined as the locale joins a list of units."""
    return _duration(int(delta.total_seconds()), locale_of(t))


def country_name(code: str, t: Translator) -> str:
    """`China` / `中国` for `CN`; the code itself when CLDR does not know it."""
    return str(Locale.parse(locale_of(t)).territories.get(code.upper(), code))


def zone_name(zone: str, t: Translator) -> str:
    """`China Time` / `中国时间` for `Asia/Shanghai`; `UTC` stays `UTC`."""
    return _zone_name(zone, locale_of(t))
