"""quality gate: schema for issue 5 (data-quality gate)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 5 (data-quality gate); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
