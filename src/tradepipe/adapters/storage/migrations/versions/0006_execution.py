"""execution: order state machine columns, order_events, realised slippage (issue 8)

``order_intents.status`` becomes the order state machine's status (``tradepipe.domain.orders.OrderStatus``);
existing rows are mapped: pending → initialized, sent → unknown, resolved → the order's status (or filled),
abandoned → canceled, rejected → rejected.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tradepipe.adapters.storage.types import money

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_TO_NEW = {"pending": "initialized", "sent": "unknown", "abandoned": "canceled", "rejected": "rejected"}


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (no batch "move and copy": order_intents is referenced by orders and fills)
    for column in (
        sa.Column("limit_price", money(), nullable=True),
        sa.Column("stop_price", money(), nullable=True),
        sa.Column("time_in_force", sa.String(length=8), nullable=False, server_default="GTC"),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("emulated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("arrival_price", money(), nullable=True),
        sa.Column("expected_slippage_bps", sa.Float(), nullable=True),
        sa.Column("route", sa.Text(), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("order_intents", column)
    op.create_index("ix_order_intents_status", "order_intents", ["status"], unique=False)
    op.add_column("orders", sa.Column("slippage_bps", sa.Float(), nullable=True))
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("trade_id", sa.String(length=128), nullable=True),
        sa.Column("amount", money(), nullable=True),
        sa.Column("price", money(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["order_intents.client_order_id"],
            name=op.f("fk_order_events_client_order_id_order_intents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
        sa.UniqueConstraint("client_order_id", "seq", name="uq_order_events_client_order_id_seq"),
    )
    _map_statuses(_OLD_TO_NEW)
    op.execute(
        "UPDATE order_intents SET status = COALESCE((SELECT o.status FROM orders o "
        "WHERE o.client_order_id = order_intents.client_order_id), 'filled') WHERE status = 'resolved'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE order_intents SET status = 'resolved' "
        "WHERE status IN ('filled', 'canceled', 'expired') AND client_order_id IN (SELECT client_order_id FROM orders)"
    )
    _map_statuses({new: old for old, new in _OLD_TO_NEW.items()})
    op.execute(
        "UPDATE order_intents SET status = 'sent' "
        "WHERE status NOT IN ('pending', 'sent', 'resolved', 'abandoned', 'rejected')"
    )
    op.drop_table("order_events")
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35 has it): a batch "move and copy" of order_intents would
    # trip the foreign keys that orders and fills hold on it
    op.execute("ALTER TABLE orders DROP COLUMN slippage_bps")
    op.drop_index("ix_order_intents_status", table_name="order_intents")
    for column in (
        "updated_at",
        "route",
        "expected_slippage_bps",
        "arrival_price",
        "status_reason",
        "attempts",
        "emulated",
        "expires_at_ms",
        "time_in_force",
        "stop_price",
        "limit_price",
    ):
        op.execute(f"ALTER TABLE order_intents DROP COLUMN {column}")


def _map_statuses(mapping: dict[str, str]) -> None:
    table = sa.table("order_intents", sa.column("status", sa.String))
    for old, new in mapping.items():
        op.execute(table.update().where(table.c.status == old).values(status=new))
