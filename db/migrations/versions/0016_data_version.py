"""data version: a counter per cached figure, raised by the commits that change its data

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"name": "analytics", "value": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
