"""The consortium file's sections of rules, as imported."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ConsortiumRules


class RulesRepo:
    """The consortium file's sections of rules, as imported."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, section: str) -> dict[str, Any] | None:
        row = await self.session.get(ConsortiumRules, section)
        return dict(row.values) if row else None

    async def set(self, section: str, values: dict[str, Any]) -> bool:
        """Store a section; True if it changed."""
        row = await self.session.get(ConsortiumRules, section)
        if row is None:
            self.session.add(ConsortiumRules(section=section, values=values))
        elif row.values != values:
            row.values = values
        else:
            return False
        await self.session.flush()
        return True
