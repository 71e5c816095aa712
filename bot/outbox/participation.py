"""Mandatory participation's reminders: each step's message to its recipients, in their
language, written in the transaction that records the step (so each is sent once)."""

from __future__ import annotations

from bot.outbox.writer import OutboxWriter
from bot.renderers.participation import render_participation_reminder
from bot.services.participation import Escalation


class ParticipationOutbox(OutboxWriter):
    async def escalations(self, due: list[Escalation]) -> None:
        """Each step to each of its recipients."""
        for escalation in due:
            for person in escalation.recipients:
                t = await self._for_person(person)
                await self._add(
                    person.telegram_id,
                    f"participation.{escalation.step.value}",
                    text=render_participation_reminder(
                        escalation.step, escalation.below, t, escalation.contact_told
                    ),
                    person=person,
                )
