"""The check-in's messages, rendered per group language and written to the outbox in the
caller's transaction. A poll's row and its `checkin_poll` row are written together, and
(check-in, group) is unique, so no group ever gets two polls for one check-in."""

from __future__ import annotations

import datetime as dt

from bot.context import Services
from bot.outbox.sender import Hooks, Sent
from bot.outbox.writer import OutboxWriter
from bot.renderers.checkin import (
    poll_options,
    poll_question,
    render_absent_warning,
    render_agenda,
    render_group_lost,
    render_group_reminder,
    render_private_reminder,
    render_summary,
)
from bot.services.chats import migrate_chat
from bot.services.checkin import (
    Closing,
    Opening,
    Reminder,
    count_early_answers,
    reopen_in_upgraded_group,
)
from bot.services.context import ServiceContext
from db.models import Chat, CheckinPoll, Role
from db.repositories import Repos


def register(hooks: Hooks) -> None:
    """What the check-in does when its polls are sent, or a group is lost or upgraded."""
    hooks.on_sent({"checkin.poll"}, _polls_sent)
    hooks.on_group_lost(_group_lost)
    hooks.on_group_upgraded(_group_upgraded)


async def _polls_sent(services: Services, repos: Repos, now: dt.datetime, sent: list[Sent]) -> None:
    """A poll's message and poll ids go to its check-in, and the votes that came before
    them are counted."""
    polls = await repos.checkins.polls_by_outbox(s.outbox_id for s in sent)
    by_outbox = {s.outbox_id: s for s in sent}
    for outbox_id, checkin_poll in polls.items():
        found = by_outbox[outbox_id]
        checkin_poll.message_id, checkin_poll.poll_id = found.message_id, found.poll_id
    if polls:
        ctx = ServiceContext(repos, now, services.settings.default_timezone)
        await count_early_answers(ctx, polls.values())


async def _group_lost(services: Services, repos: Repos, now: dt.datetime, chat: Chat) -> None:
    await CheckinOutbox(services, repos, now).group_lost(chat)


async def _group_upgraded(
    services: Services, repos: Repos, now: dt.datetime, old_id: int, new_id: int
) -> None:
    await CheckinOutbox(services, repos, now).group_upgraded(old_id, new_id)


class CheckinOutbox(OutboxWriter):
    async def opening(self, opening: Opening) -> None:
        assert opening.checkin is not None
        zone, _ = await self._zone_and_language()
        for chat in opening.chats:
            t = await self._for_chat(chat)
            await self._add(
                chat.telegram_id,
                "checkin.agenda",
                thread=chat.thread_id,
                text=render_agenda(
                    opening.checkin,
                    opening.open_requests,
                    opening.actions,
                    opening.reports,
                    zone,
                    t,
                    chat.telegram_id,
                    opening.gaps,
                ),
            )
            outbox_id = await self._add(
                chat.telegram_id,
                "checkin.poll",
                kind="poll",
                thread=chat.thread_id,
                poll={"question": poll_question(t), "options": poll_options(t)},
            )
            await self.repos.checkins.add_poll(
                CheckinPoll(
                    checkin_id=opening.checkin.id, chat_id=chat.telegram_id, outbox_id=outbox_id
                )
            )

    async def reminder(self, reminder: Reminder) -> None:
        zone, _ = await self._zone_and_language()
        for party, person in reminder.contacts:
            t = await self._for_person(person)
            await self._add(
                person.telegram_id,
                "checkin.reminder",
                person=person,
                text=render_private_reminder(reminder.checkin, party, zone, t),
            )
        for chat in reminder.chats:
            t = await self._for_chat(chat)
            await self._add(
                chat.telegram_id,
                "checkin.reminder_group",
                thread=chat.thread_id,
                text=render_group_reminder(reminder.checkin, reminder.missing, zone, t),
            )

    async def closing(self, closing: Closing) -> None:
        for chat_id, message_id in closing.polls:
            await self._add(chat_id, "checkin.stop", kind="stop_poll", reply_to=message_id)
        for chat in closing.chats:
            t = await self._for_chat(chat)
            await self._add(
                chat.telegram_id,
                "checkin.summary",
                thread=chat.thread_id,
                text=render_summary(closing.checkin, closing.tally, closing.actions, t),
            )
        if closing.absent_twice:
            names = [closing.tally.party_names.get(k, k) for k in closing.absent_twice]
            for coordinator in closing.coordinators:
                t = await self._for_person(coordinator)
                await self._add(
                    coordinator.telegram_id,
                    "checkin.absent",
                    person=coordinator,
                    text=render_absent_warning(closing.checkin, names, t),
                )

    async def group_upgraded(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: everything about it moves to the new id, and an open
        check-in's agenda and poll are posted there again when the poll had gone out."""
        await migrate_chat(self.repos, old_id, new_id)
        ctx = ServiceContext(self.repos, self.now, self.services.settings.default_timezone)
        opening = await reopen_in_upgraded_group(ctx, new_id)
        if opening is not None:
            await self.opening(opening)

    async def group_lost(self, chat: Chat) -> None:
        """The bot was removed from a group (403): coordinators are told."""
        for coordinator in await self.repos.memberships.people_with_role(Role.COORDINATOR):
            t = await self._for_person(coordinator)
            await self._add(
                coordinator.telegram_id,
                "group.lost",
                person=coordinator,
                text=render_group_lost(chat.title or str(chat.telegram_id), t),
            )
