"""operations: schema for issue 10 (operations)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 10 (operations); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
