"""Public holidays of the consortium's countries, from the `holidays` package: China's
Spring Festival and Thailand's Songkran move with the lunar calendar, and nobody should have
to type them into the consortium file each year.

Pure: the package computes the calendars (no network, no files). Names come in the
reader's language where the package has it (CN: en_US, zh_CN), else in English, else in the
country's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays as calendars

# Our languages as the package names them.
_LANGUAGES = {"en": "en_US", "zh": "zh_CN"}


def supported(country: str) -> bool:
    """Whether the package has a calendar of public holidays for this ISO 3166 code."""
    return country.upper() in calendars.list_supported_countries()


Holiday = tuple[str, str]  # (country, name)


def public_holidays(
    countries: Iterable[str], years: Iterable[int], language: str = "en"
) -> dict[dt.date, tuple[Holiday, ...]]:
    """Every public holiday of these countries in these years: the date and, for each
    country that keeps it, the country and the holiday's name. Countries the package does
    not know add nothing."""
    found: dict[dt.date, tuple[Holiday, ...]] = {}
    for country in sorted({c.upper() for c in countries}):
        for day, name in _calendar(country, tuple(sorted(set(years))), language).items():
            found[day] = (*found.get(day, ()), (country, name))
    return dict(sorted(found.items()))


def make_up_workdays(countries: Iterable[str], years: Iterable[int]) -> frozenset[dt.date]:
    """Weekend days that are working days in every one of these countries: the days worked
    to make up for a long holiday (China's 调休, e.g. Saturday 14 February 2026). A day
    worked in one country only is still a weekend for the parties of the others; none
    without a country."""
    wanted = sorted({c.upper() for c in countries})
    if not wanted:
        return frozenset()
    spans = tuple(sorted(set(years)))
    days = [_workdays(country, spans) for country in wanted]
    return frozenset.intersection(*days)


@lru_cache(maxsize=64)
def _workdays(country: str, years: tuple[int, ...]) -> frozenset[dt.date]:
    if not years or not supported(country):
        return frozenset()
    calendar = calendars.country_holidays(country, years=years)
    # The package lists them in `weekend_workdays` (filled as each year is computed).
    return frozenset(d for d in calendar.weekend_workdays if d.year in years)


@lru_cache(maxsize=64)
def _calendar(country: str, years: tuple[int, ...], language: str) -> dict[dt.date, str]:
    if not years or not supported(country):
        return {}
    known = calendars.country_holidays(country).supported_languages or ()
    wanted = _LANGUAGES.get(language, "en_US")
    chosen = wanted if wanted in known else ("en_US" if "en_US" in known else None)
    return dict(calendars.country_holidays(country, years=years, language=chosen).items())
