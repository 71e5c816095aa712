"""The group chats the bot is in."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamped


class Chat(Timestamped, Base):
    """A group chat the bot was added to; `linked` ones belong to the consortium."""

    __tablename__ = "chat"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16), default="supergroup")
    active: Mapped[bool] = mapped_column(default=True)
    linked: Mapped[bool] = mapped_column(default=False)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(8))
    thread_id: Mapped[int | None] = mapped_column(Integer)
    """The forum topic it was linked in: the check-in's messages go there (None: General)."""
