"""What every service needs besides its arguments: the repositories, the time, the zones.

One context for all services (liaison, check-in, reports, topics, ...), built once per update
or job at the handler boundary; `zone()` is the one place that falls back from the
consortium's time zone to the `DEFAULT_TIMEZONE` setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.time import first_zone, local_today
from db.repositories import Repos


@dataclass
class ServiceContext:
    """The repositories of this transaction, its `now` (UTC), and the default time zone."""

    repos: Repos
    now: dt.datetime
    default_tz: str

    async def zone(self) -> str:
        """The consortium's time zone, else the default."""
        return first_zone(await self.repos.consortium.get(), default=self.default_tz)

    async def today(self) -> dt.date:
        """Today in the consortium's time zone."""
        return local_today(self.now, await self.zone())
