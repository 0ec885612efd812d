"""risk: schema for issue 7 (risk)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain for issue 7 (risk); no schema change yet."""


def downgrade() -> None:
    """Nothing to undo yet."""
