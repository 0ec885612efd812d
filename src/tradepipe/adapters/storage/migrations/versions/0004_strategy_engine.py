"""strategy engine: schema for issue 6 (strategy engine)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 6 (strategy engine); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
