"""public holidays: the consortium's country, whose holidays move a check-in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consortium", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
    with op.batch_alter_table("checkin_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "public_holidays",
                sa.Enum(
                    "consortium",
                    "parties",
                    "none",
                    name="public_holidays",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="consortium",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_policy", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_checkin_policy_public_holidays"), type_="check")
        batch_op.drop_column("public_holidays")
    with op.batch_alter_table("consortium", schema=None) as batch_op:
        batch_op.drop_column("country")
