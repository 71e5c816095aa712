"""The services every handler and job shares, and a typed CallbackContext to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translations
from bot.leadership import Leadership
from db.engine import Database

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics
    from bot.outbox.sender import Sender

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    database: Database
    translations: Translations
    clock: Clock
    sender: Sender
    metrics: Metrics | None = None  # when METRICS_PORT is set
    # Whether this replica leads (PostgreSQL: a lease); alone, it always does.
    leadership: Leadership = field(default_factory=Leadership)
    # Scheduler ticks this replica ran to the end as the leader (/healthz says it: a leader's
    # count that stops growing is a scheduler stuck).
    ticks: int = 0


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the shared services."""

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]
