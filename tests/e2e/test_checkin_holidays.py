"""End to end: a check-in that falls on a public holiday of the consortium's country moves
to the next working day without anyone typing the holiday, and `/checkin next` says why.

The `holidays` package's China: Spring Festival 2027 is 6-8 February (Saturday to Monday)
with the weekend made up on Tuesday 9 and Wednesday 10; so the second Monday of February
2027 (the 8th) moves to Thursday 11 February."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.fake_telegram import FakeTelegram
from bot.services.consortium_io import import_file
from tests.conftest import SAMPLE_FILE
from tests.e2e.conftest import RunningBot, started

SAMPLE = SAMPLE_FILE.read_text(encoding="utf-8")
IN_CHINA = SAMPLE.replace(
    "timezone: Asia/Shanghai, language: en}", "timezone: Asia/Shanghai, language: en, country: CN}"
)


async def _running(settings: Settings, clock: ManualClock, text: str) -> RunningBot:
    clock.set(dt.datetime(2027, 1, 20, 2, 0, tzinfo=dt.UTC))  # after January's check-in
    await import_file(settings, text, now=clock.now())
    running = RunningBot(settings, clock)
    await running.start()
    return running


@pytest.fixture
async def china(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningBot]:
    running = await _running(
        settings, clock, IN_CHINA + 'checkin: {schedule: "second mon 10:00"}\n'
    )
    yield running
    await running.stop()


async def test_the_spring_festival_moves_the_checkin(tg: FakeTelegram, china: RunningBot) -> None:
    zhang = await started(tg, 1002, "Zhang Min")
    zhang.send("/checkin next")
    text = (await zhang.next_message()).text
    assert "The next check-in opens on Feb 11, 2027, 10:00 (China Time)." in text
    assert (
        "Moved from Mon, Feb 8, the scheduled day, past: "
        "Mon, Feb 8 Chinese New Year (Spring Festival) (China); "
        "Tue, Feb 9 Chinese New Year (Spring Festival) (observed) (China); "
        "Wed, Feb 10 Chinese New Year (Spring Festival) (observed) (China)."
    ) in text

    li = await started(tg, 1001, "Li Wei")  # reads Chinese (the consortium file says so)
    li.send("/checkin next")
    text = (await li.next_message()).text
    assert "由原定的 2月8日周一 顺延，跳过：2月8日周一 春节（中国）；" in text
    assert "2月10日周三 春节（补假）（中国）。" in text


async def test_the_files_own_holidays_add_to_the_countrys(
    tg: FakeTelegram, settings: Settings, clock: ManualClock
) -> None:
    running = await _running(
        settings,
        clock,
        IN_CHINA + 'checkin: {schedule: "second mon 10:00", holidays: {CN: [2027-02-11]}}\n',
    )
    try:
        zhang = await started(tg, 1002, "Zhang Min")
        zhang.send("/checkin next")
        text = (await zhang.next_message()).text
        assert "The next check-in opens on Feb 12, 2027, 10:00 (China Time)." in text
        assert "Thu, Feb 11 a holiday in the consortium file." in text
    finally:
        await running.stop()


async def test_no_public_holidays_when_the_file_says_none(
    tg: FakeTelegram, settings: Settings, clock: ManualClock
) -> None:
    running = await _running(
        settings,
        clock,
        IN_CHINA + 'checkin: {schedule: "second mon 10:00", public_holidays: none}\n',
    )
    try:
        zhang = await started(tg, 1002, "Zhang Min")
        zhang.send("/checkin next")
        text = (await zhang.next_message()).text
        assert "The next check-in opens on Feb 8, 2027, 10:00 (China Time)." in text
        assert "Moved" not in text
    finally:
        await running.stop()


async def test_a_make_up_working_day_is_a_working_day(
    tg: FakeTelegram, settings: Settings, clock: ManualClock
) -> None:
    """调休: Saturday 14 February 2026 is worked in China (before the Spring Festival,
    15-23 February), so a check-in on the 14th of the month stays there rather than
    moving past the weekend and the whole festival to the 24th."""
    clock.set(dt.datetime(2026, 1, 20, 2, 0, tzinfo=dt.UTC))
    await import_file(settings, IN_CHINA + 'checkin: {schedule: "14 10:00"}\n', now=clock.now())
    running = RunningBot(settings, clock)
    await running.start()
    try:
        zhang = await started(tg, 1002, "Zhang Min")
        zhang.send("/checkin next")
        text = (await zhang.next_message()).text
        assert "The next check-in opens on Feb 14, 2026, 10:00 (China Time)." in text
        assert "Moved" not in text
    finally:
        await running.stop()
