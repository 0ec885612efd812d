"""positions reconciliation: schema for issue 9 (positions, exits, reconciliation)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 9 (positions, exits, reconciliation); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
