"""execution: schema for issue 8 (execution)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 8 (execution); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
