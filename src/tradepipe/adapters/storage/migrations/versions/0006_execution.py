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
    with op.batch_alter_table("order_intents", schema=None) as batch:
        batch.add_column(sa.Column("limit_price", money(), nullable=True))
        batch.add_column(sa.Column("stop_price", money(), nullable=True))
        batch.add_column(sa.Column("time_in_force", sa.String(length=8), nullable=False, server_default="GTC"))
        batch.add_column(sa.Column("expires_at_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("emulated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("arrival_price", money(), nullable=True))
        batch.add_column(sa.Column("expected_slippage_bps", sa.Float(), nullable=True))
        batch.add_column(sa.Column("route", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_order_intents_status", ["status"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.add_column(sa.Column("slippage_bps", sa.Float(), nullable=True))
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
    op.execute("UPDATE order_intents SET status = 'sent' WHERE status NOT IN ('pending', 'sent', 'resolved', 'abandoned', 'rejected')")
    op.drop_table("order_events")
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.drop_column("slippage_bps")
    with op.batch_alter_table("order_intents", schema=None) as batch:
        batch.drop_index("ix_order_intents_status")
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
            batch.drop_column(column)


def _map_statuses(mapping: dict[str, str]) -> None:
    table = sa.table("order_intents", sa.column("status", sa.String))
    for old, new in mapping.items():
        op.execute(table.update().where(table.c.status == old).values(status=new))
