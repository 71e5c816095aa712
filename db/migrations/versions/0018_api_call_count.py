"""api call count: the Mini App's per-person limit, counted where every replica sees it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:22:43.493077
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # UNLOGGED on PostgreSQL: a count written on every API call need not wait for the WAL to
    # reach the disk (about half the statement's time); a crash or a failover empties the
    # table, which lets each person a minute's calls again, nothing more.
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "api_call_count",
        sa.Column("window_start", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("window_start", "telegram_id", name=op.f("pk_api_call_count")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("api_call_count")
