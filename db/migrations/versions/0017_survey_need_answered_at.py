"""survey answer: when the other needs were answered (typed, or No other needs)

No other needs answers once: pressed after a need was typed, or a second time, it changes
nothing. A need written before this revision counts as answered (stamped with its Done); an
answer without one stays open, where a late press writes what it already holds: no need.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:27:55.586966
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("need_answered_at", db.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE survey_answer SET need_answered_at = answered_at WHERE need IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_column("need_answered_at")
