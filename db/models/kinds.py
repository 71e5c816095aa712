"""The enumerations stored in columns (kinds, roles, states). They are the domain's
(`bot.domain.kinds`, which imports no SQLAlchemy); the models of every feature import them
from here, next to the tables that store them."""

from __future__ import annotations

from bot.domain.kinds import (
    AchievementKind,
    ApplicationState,
    CheckinState,
    OutboxState,
    PartyKind,
    PublicHolidays,
    ReportStatus,
    RequestState,
    Role,
    TopicState,
)

__all__ = [
    "AchievementKind",
    "ApplicationState",
    "CheckinState",
    "OutboxState",
    "PartyKind",
    "PublicHolidays",
    "ReportStatus",
    "RequestState",
    "Role",
    "TopicState",
]
