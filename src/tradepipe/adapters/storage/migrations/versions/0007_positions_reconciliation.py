"""positions reconciliation: schema for issue 9 (positions, exits, reconciliation)

Positions and balances gain an ``account`` (paper | live) in their primary key, so paper and live wallets
share the same tables; positions carry fees, FIFO lots and the exit rules' state; reconciliation diffs
carry expected/actual/delta/resolution; a ``halts`` table holds the persisted stop on new entries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from tradepipe.adapters.storage.types import money

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _account() -> sa.Column[str]:
    return sa.Column("account", sa.String(length=16), nullable=False, server_default="paper")


def _positions_columns() -> list[sa.Column[Any] | sa.Constraint]:
    return [
        _account(),
        sa.Column("venue", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("amount", money(), nullable=False),
        sa.Column("average_price", money(), nullable=False),
        sa.Column("stop_loss", money(), nullable=True),
        sa.Column("take_profit", money(), nullable=True),
        sa.Column("opened_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("realized_pnl", money(), nullable=False),
        sa.Column("cost_basis", money(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("fees", money(), nullable=False, server_default="0"),
        sa.Column("entry_amount", money(), nullable=False, server_default="0"),
        sa.Column("high_water_mark", money(), nullable=True),
        sa.Column("exits_taken", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lots", sa.Text(), nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("account", "venue", "symbol", name="pk_positions"),
    ]


def _balances_columns() -> list[sa.Column[Any] | sa.Constraint]:
    return [
        _account(),
        sa.Column("venue", sa.String(length=64), nullable=False),
        sa.Column("asset", sa.String(length=32), nullable=False),
        sa.Column("total", money(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "venue", "asset", name="pk_balances"),
    ]


def _rebuild(name: str, columns: list[sa.Column[Any] | sa.Constraint], keep: list[str], where: str = "") -> None:
    """Recreate ``name`` with ``columns`` (a new primary key), copying the ``keep`` columns across."""
    op.rename_table(name, f"{name}_old")
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {name}_old RENAME CONSTRAINT pk_{name} TO pk_{name}_old")
    op.create_table(name, *columns)
    cols = ", ".join(keep)
    op.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {name}_old {where}")
    op.drop_table(f"{name}_old")


POSITION_COLUMNS = [
    "venue", "symbol", "amount", "average_price", "stop_loss", "take_profit",
    "opened_at_ms", "realized_pnl", "cost_basis", "is_open",
]  # fmt: skip


def upgrade() -> None:
    _rebuild("positions", _positions_columns(), POSITION_COLUMNS)
    _rebuild("balances", _balances_columns(), ["venue", "asset", "total", "updated_at"])
    for table in ("fills", "order_intents", "reconciliations"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(_account())
    with op.batch_alter_table("reconciliation_diffs") as batch:
        batch.alter_column("ledger_value", new_column_name="expected")
        batch.alter_column("counterparty_value", new_column_name="actual")
        batch.alter_column("action", new_column_name="resolution", type_=sa.String(length=64))
        batch.add_column(sa.Column("delta", money(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reference", sa.String(length=128), nullable=False, server_default=""))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "halts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _account(),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_halts"),
    )
    op.create_index("ix_halts_active", "halts", ["account", "cleared_at"])


def downgrade() -> None:
    op.drop_index("ix_halts_active", table_name="halts")
    op.drop_table("halts")
    with op.batch_alter_table("reconciliation_diffs") as batch:
        batch.drop_column("detail")
        batch.drop_column("reference")
        batch.drop_column("delta")
        batch.alter_column("resolution", new_column_name="action", type_=sa.String(length=32))
        batch.alter_column("actual", new_column_name="counterparty_value")
        batch.alter_column("expected", new_column_name="ledger_value")
    for table in ("reconciliations", "order_intents", "fills"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("account")
    old_positions = [c for c in _positions_columns() if c.name in POSITION_COLUMNS]
    _rebuild("positions", [*old_positions, sa.PrimaryKeyConstraint("venue", "symbol", name="pk_positions")],
             POSITION_COLUMNS, "WHERE account = 'paper'")  # fmt: skip
    old_balances = [c for c in _balances_columns() if c.name != "account" and isinstance(c, sa.Column)]
    _rebuild("balances", [*old_balances, sa.PrimaryKeyConstraint("venue", "asset", name="pk_balances")],
             ["venue", "asset", "total", "updated_at"], "WHERE account = 'paper'")  # fmt: skip
