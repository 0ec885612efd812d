"""risk: schema for issue 7 (risk): persisted protection locks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``risk_locks``: what each protection locked (scope ``*`` = all), until when, and why; survives restarts."""
    op.create_table(
        "risk_locks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("protection", sa.String(length=32), nullable=False),
        sa.Column("venue", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=False),
        sa.Column("until_ms", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_locks")),
        sa.UniqueConstraint("protection", "venue", "symbol", "until_ms", name="uq_risk_locks_scope_until"),
    )
    with op.batch_alter_table("risk_locks", schema=None) as batch_op:
        batch_op.create_index("ix_risk_locks_until", ["until_ms", "released_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_locks", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_locks_until")
    op.drop_table("risk_locks")
