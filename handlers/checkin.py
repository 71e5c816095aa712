"""The monthly check-in: /checkin (open, next, close, schedule), /checkins, /action, /done,
and the poll answers."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, PollAnswerHandler

from bot.context import BotContext
from bot.domain import numbers
from bot.domain.checkin import (
    MAX_OPEN_FOR,
    MIN_OPEN_FOR,
    OPEN_FOR,
    ScheduleError,
    next_checkin,
    parse_open_for,
    parse_schedule,
)
from bot.i18n import dates
from bot.outbox.checkin import CheckinOutbox
from bot.renderers import esc
from bot.renderers.checkin import render_history_line, render_next, render_schedule_problem
from bot.renderers.tables import csv_bytes
from bot.services import checkin
from bot.services.context import ServiceContext
from db.models import Checkin
from db.repositories import Repos
from handlers.base import Reply, Request, command, first_time


async def checkin_command(request: Request) -> Reply:
    """/checkin: coordinators open one now; /checkin next|close|schedule ..."""
    t, sub = request.t, (request.args[0].lower() if request.args else "")
    if sub == "next":
        return await _next(request)
    # Anything but `next` is for coordinators: declared in bot.domain.access, checked there.
    if sub == "close":
        closing = await checkin.close_checkin(request.ctx)
        if closing is None:
            return Reply(text=t.gettext("No check-in is open."))
        await CheckinOutbox(request.context.services, request.repos, request.now).closing(closing)
        return Reply(
            text=t.gettext("Check-in #{id} is closed; the summary is on its way.").format(
                id=closing.checkin.id
            ),
            drain=True,
        )
    if sub == "schedule":
        return await _schedule(request)
    if sub:
        return Reply(
            text=t.gettext(
                "Usage: /checkin, /checkin next, /checkin close, "
                "/checkin schedule first mon 10:00 [72h]"
            )
        )
    found = await checkin.rules(request.ctx)
    open_for = found.open_for if found else OPEN_FOR
    opening = await checkin.open_checkin(request.ctx, request.caller.person, None, open_for)
    if opening.reason == "already_open" and opening.checkin is not None:
        return Reply(
            text=t.gettext("Check-in #{id} is already open; nothing new was sent.").format(
                id=opening.checkin.id
            )
        )
    if opening.reason == "no_groups":
        return Reply(text=t.gettext("No group is linked yet: link one with /link first."))
    await CheckinOutbox(request.context.services, request.repos, request.now).opening(opening)
    assert opening.checkin is not None
    return Reply(
        text=t.ngettext(
            "Check-in #{id} is open in {n} group.",
            "Check-in #{id} is open in {n} groups.",
            len(opening.chats),
        ).format(id=opening.checkin.id, n=len(opening.chats)),
        drain=True,
    )


async def _next(request: Request) -> Reply:
    found = await checkin.rules(request.ctx)
    zone = await request.ctx.zone()
    start, moved = None, None
    if found is not None:
        day, start = next_checkin(
            found.schedule, found.timezone, request.now, found.holidays, found.workdays
        )
        moved = checkin.why_moved(found, day, request.t.language)
    current = await request.repos.checkins.open_one()
    return Reply(text=render_next(start, current, zone, request.t, moved))


async def _schedule(request: Request) -> Reply:
    t, words = request.t, request.args[1:]
    duration = None
    if len(words) > 2 and words[-1][-1:].lower() in ("h", "d"):  # an open period
        try:
            duration = parse_open_for(words[-1])
        except ValueError:
            return Reply(
                text=t.gettext(
                    "A check-in stays open from {low} to {high}; {given} is not possible. "
                    "Example: /checkin schedule first mon 10:00 72h"
                ).format(
                    low=dates.duration(MIN_OPEN_FOR, t),
                    high=dates.duration(MAX_OPEN_FOR, t),
                    given=esc(words[-1]),
                )
            )
        words = words[:-1]
    try:
        schedule = parse_schedule(" ".join(words))
    except ScheduleError as exc:
        return Reply(text=render_schedule_problem(exc.reason, exc.word, t))
    await checkin.set_policy(request.ctx, str(schedule), duration)
    return await _next(request)


async def checkins(request: Request) -> Reply:
    """/checkins: past check-ins with participation; /checkins export for coordinators."""
    t, zone = request.t, await request.ctx.zone()
    past = list(await request.repos.checkins.closed(limit=1000))
    if request.args[:1] == ["export"]:  # for coordinators (bot.domain.access)
        return Reply(
            text=t.gettext("All check-ins with participation per party."),
            document=("checkins.csv", csv_bytes(CHECKIN_COLUMNS, _rows(past))),
            private=True,  # who answered, in every group
        )
    lines = [t.gettext("<b>Past check-ins</b>")]
    lines += [render_history_line(c, zone, t) for c in past[:12]] or [t.gettext("None yet.")]
    return Reply(text="\n".join(lines))


CHECKIN_COLUMNS = (
    "checkin",
    "opened_at",
    "closed_at",
    "party",
    "answered",
    "voters",
    "on_track",
    "minor_issues",
    "blocked",
    "need_meeting",
    "outsiders",
)


def _rows(past: list[Checkin]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for item in past:
        summary = item.summary or {}
        options = summary.get("options", [0, 0, 0, 0])
        closed = item.closed_at.isoformat() if item.closed_at else ""
        for party, voters in summary.get("parties", {}).items():
            rows.append(
                (
                    item.id,
                    item.opened_at.isoformat(),
                    closed,
                    party,
                    bool(voters),
                    "; ".join(voters),
                    *options,
                    summary.get("outsiders", 0),
                )
            )
    return rows


async def action(request: Request) -> Reply:
    """/action TEXT: an action item for the open check-in."""
    t, person = request.t, request.caller.person
    text = " ".join(request.args).strip()
    if person is None or not text:
        return Reply(text=t.gettext("Usage: /action what needs doing (during a check-in)"))
    item = await checkin.add_action(request.ctx, person, text)
    if item is None:
        return Reply(text=t.gettext("No check-in is open; action items belong to a check-in."))
    return Reply(
        text=t.gettext("Action item #{id} recorded; /done {id} when it is done.").format(id=item.id)
    )


async def done(request: Request) -> Reply:
    """/done NUMBER: an action item is done."""
    t, person = request.t, request.caller.person
    item_id = numbers.row_id(request.args[0]) if len(request.args) == 1 else None
    if person is None or item_id is None:
        return Reply(text=t.gettext("Usage: /done NUMBER"))
    outcome = await checkin.finish_action(request.ctx, person, item_id)
    texts = {
        "done": t.gettext("Action item #{id} is done."),
        "already": t.gettext("Action item #{id} was already done."),
        "unknown": t.gettext("There is no action item #{id}."),
        "not_yours": t.gettext(
            "Only its author, its party's contacts or a coordinator can close action item #{id}."
        ),
    }
    return Reply(text=texts[outcome].format(id=item_id))


async def poll_answer(update: Update, context: BotContext) -> None:
    """A vote in a check-in poll (changed or withdrawn votes included)."""
    answer = update.poll_answer
    if answer is None or answer.user is None:
        return
    services = context.services
    user, options = answer.user, list(answer.option_ids)
    name, now = user.full_name, services.clock.now()

    def ctx(repos: Repos) -> ServiceContext:
        return ServiceContext(repos, now, services.settings.default_timezone)

    async def work(repos: Repos) -> None:
        # Claimed like any update: a vote Telegram sends again, after the person changed it,
        # must not bring the old choice back. The usual vote is then one statement; anything
        # else (a poll not recorded yet, a check-in not open, a withdrawn vote) takes the
        # whole way.
        if not await first_time(repos, update, now):
            return
        if not await checkin.record_open_vote(ctx(repos), answer.poll_id, user.id, name, options):
            await checkin.record_answer(ctx(repos), answer.poll_id, user.id, name, options)

    await services.database.run(work)


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("checkin", checkin_command),
        command("checkins", checkins),
        command("action", action),
        command("done", done),
        PollAnswerHandler(poll_answer),
    ]
