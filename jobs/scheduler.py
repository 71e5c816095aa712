"""The scheduler tick: whatever the database says is due runs now, then the outbox drains.

One repeating job with a stable name; nothing else is scheduled in memory, so a restart
loses nothing and a step that fell due while the bot was down runs on the first tick that
follows the updates Telegram kept meanwhile (a vote cast before the close time counts). With
several replicas only the leader's tick does anything.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.context import BotContext
from bot.outbox.checkin import CheckinOutbox
from bot.outbox.courses import CourseOutbox
from bot.outbox.digest import DigestOutbox
from bot.outbox.liaison import LiaisonOutbox
from bot.outbox.pace import PaceOutbox
from bot.outbox.participation import ParticipationOutbox
from bot.outbox.reports import ReportOutbox
from bot.outbox.survey import SurveyOutbox
from bot.outbox.topics import TopicOutbox
from bot.services import (
    checkin,
    courses,
    digest,
    liaison,
    pace,
    participation,
    reports,
    survey,
    topics,
)
from bot.services.context import ServiceContext
from bot.services.people import erase_report_texts
from bot.telegram.updates import PerChatUpdateProcessor
from bot.web.limit import WINDOW
from db.errors import IntegrityError
from db.models import WeeklyReport

log = logging.getLogger(__name__)
TICK_JOB = "scheduler-tick"


async def tick(context: BotContext) -> None:
    """Run due liaison steps (one transaction each), then deliver the outbox."""
    processor = context.application.update_processor
    if isinstance(processor, PerChatUpdateProcessor) and not processor.caught_up:
        return  # the updates Telegram kept while the bot was down first: they change what is due
    services = context.services
    if not services.leadership.is_leader:
        return  # a standby: the leader runs the tick (`bot.leadership`)
    now = services.clock.now()
    async with services.database.transaction() as repos:
        due = await repos.requests.due(now)
    for request_id in due:
        async with services.database.transaction() as repos:
            ctx = ServiceContext(repos, now, services.settings.default_timezone)
            notices = await liaison.run_due(ctx, request_id)
            outbox = LiaisonOutbox(services, repos, now, context.bot.username)
            await outbox.enqueue(notices)
    await _checkins(context, now)
    await _reports(context, now)
    await services.sender.drain(context.application)
    if services.metrics is not None:
        async with services.database.transaction() as repos:
            await services.metrics.refresh(repos, services.clock.now())
    services.ticks += 1  # ticks never overlap (the job queue runs one instance at a time)


REPORT_SWEEP = dt.timedelta(minutes=1)
_SWEPT_AT = "reports-swept-at"


async def _reports(context: BotContext, now: dt.datetime) -> None:
    """Report reminders, missing reports, mentor reminders and participation's steps: at most
    once a minute (each
    stage is recorded with its message, so a restart never repeats one)."""
    services = context.services
    last = context.application.bot_data.get(_SWEPT_AT)
    if last is not None and now - last < REPORT_SWEEP:
        return
    context.application.bot_data[_SWEPT_AT] = now
    async with services.database.transaction() as repos:
        ctx = ServiceContext(repos, now, services.settings.default_timezone)
        due = await reports.sweep(ctx)
        await ReportOutbox(services, repos, now).due(due)
    async with services.database.transaction() as repos:
        review_after = (await reports.rules(repos)).review_after
        topic_ctx = ServiceContext(repos, now, services.settings.default_timezone)
        await TopicOutbox(services, repos, now).due(await topics.sweep(topic_ctx, review_after))
    async with services.database.transaction() as repos:
        escalations = await participation.run_due(repos, now)
        await ParticipationOutbox(services, repos, now).escalations(escalations)
    async with services.database.transaction() as repos:
        ctx = ServiceContext(repos, now, services.settings.default_timezone)
        await CourseOutbox(services, repos, now).reminders(await courses.reminders(ctx))
    async with services.database.transaction() as repos:
        ctx = ServiceContext(repos, now, services.settings.default_timezone)
        await SurveyOutbox(services, repos, now).reviews(await survey.reviews_due(ctx))
    await _pace(context, now)
    try:
        async with services.database.transaction() as repos:
            monthly = await digest.run_due(repos, now)
            if monthly is not None:
                await DigestOutbox(services, repos, now).digest(monthly)
                log.info("sent the digest of %s", monthly.month.strftime("%Y-%m"))
    except IntegrityError:
        log.info("the monthly digest was sent by someone else meanwhile")
    async with services.database.transaction() as repos:
        await checkin.count_stray_early_answers(
            ServiceContext(repos, now, services.settings.default_timezone)
        )
        # Telegram keeps an update for 24 hours: after two days it cannot come again.
        await repos.updates.forget_before(now - dt.timedelta(days=2))
        # A vote for a poll still unknown after two days was not for one of ours.
        await repos.checkins.forget_early_answers(now - dt.timedelta(days=2))
        # The Mini App's counts of the minutes before the last one count for nothing.
        await repos.api_calls.prune(keep=2 * WINDOW)
    retention = services.settings.report_retention_days
    if retention:
        cutoff = now.date() - dt.timedelta(days=retention)
        async with services.database.transaction() as repos:
            erased = await erase_report_texts(repos, WeeklyReport.week < cutoff)
        if erased:
            log.info("erased the texts of %d weekly reports older than %d days", erased, retention)


PACE_SWEEP = dt.timedelta(hours=1)
_PACE_AT = "pace-swept-at"


async def _pace(context: BotContext, now: dt.datetime) -> None:
    """Gaps in students' programmes, warned ahead: once an hour is plenty (a gap is a week
    long and warned days ahead), and it reads every student's programme."""
    services = context.services
    last = context.application.bot_data.get(_PACE_AT)
    if last is not None and now - last < PACE_SWEEP:
        return
    context.application.bot_data[_PACE_AT] = now
    # One snapshot: the rules and every programme as of one moment, even while a consortium
    # file is imported (otherwise its students could be judged by the rules of before it).
    async with services.database.snapshot() as repos:
        ctx = ServiceContext(repos, now, services.settings.default_timezone)
        await PaceOutbox(services, repos, now).gaps(await pace.sweep(ctx))


async def _checkins(context: BotContext, now: dt.datetime) -> None:
    """Open a scheduled check-in, send a due reminder, close one whose time is up."""
    services = context.services
    zone = services.settings.default_timezone
    try:
        async with services.database.transaction() as repos:
            ctx = ServiceContext(repos, now, zone)
            due = await checkin.scheduled_due(ctx)
            if due is not None:
                day, rules = due
                opening = await checkin.open_checkin(ctx, None, day, rules.open_for)
                if opening.reason == "opened":
                    await CheckinOutbox(services, repos, now).opening(opening)
    except IntegrityError:
        log.info("a scheduled check-in was opened by someone else meanwhile")
    async with services.database.transaction() as repos:
        ctx = ServiceContext(repos, now, zone)
        reminder = await checkin.reminder_due(ctx)
        if reminder is not None:
            await CheckinOutbox(services, repos, now).reminder(reminder)
    async with services.database.transaction() as repos:
        ctx = ServiceContext(repos, now, zone)
        current = await repos.checkins.open_one()
        if current is not None and current.closes_at <= now:
            closing = await checkin.close_checkin(ctx, current.id)
            if closing is not None:
                await CheckinOutbox(services, repos, now).closing(closing)
