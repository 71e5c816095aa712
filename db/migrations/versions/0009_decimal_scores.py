"""scores with two decimals

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Imported scores are averages of past questionnaires (57.2): two decimals kept, in every
# table of scores alike. The check constraints (0 to 100) hold for either type and stay.
_DIMS = ("tech_rd", "cross_cultural", "rule_adaptation")
_TABLES = ("assessment", "topic_assessment")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for dim in _DIMS:
                batch_op.alter_column(
                    dim, existing_type=sa.Integer(), type_=sa.Numeric(5, 2), existing_nullable=True
                )


def downgrade() -> None:
    # Back to whole numbers: a decimal score is rounded.
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for dim in _DIMS:
                batch_op.alter_column(
                    dim,
                    existing_type=sa.Numeric(5, 2),
                    type_=sa.Integer(),
                    existing_nullable=True,
                    postgresql_using=f"round({dim})::integer",
                )
