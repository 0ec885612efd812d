"""strategy engine: the decision record keeps regime confidence, routes, filter outcome, error, data hash (issue 6)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("regime_confidence", sa.Float()),
    ("routes", sa.Text()),  # JSON [[strategy, weight], ...]
    ("filter_outcome", sa.String(length=16)),  # candidate | filtered | flat | error
    ("filter_reason", sa.Text()),
    ("error", sa.Text()),
    ("data_hash", sa.String(length=64)),
    ("summary", sa.Text()),  # the engine's account of the score
)


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_decisions_symbol", "decisions", ["symbol", "venue"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_decisions_symbol", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
