"""The ledger schema (SQLAlchemy 2 Core). Money and quantities are Numeric, never float.

Schema changes go through Alembic migrations in ``migrations/``; tests run migrations, never ``create_all``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tradepipe.adapters.storage.types import money

MONEY = money()
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("cycle", Integer, nullable=False, unique=True),
    Column("as_of_ms", BigInteger, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # running | completed | failed | crashed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("equity", MONEY),
    Column("summary", Text),  # JSON of the cycle report
)

stage_runs = Table(
    "stage_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("stage", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("detail", Text),
    UniqueConstraint("run_id", "stage", name="uq_stage_runs_run_stage"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("venue", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("check_name", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("first_seen_run", String(64), nullable=False),
    Column("last_seen_run", String(64), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    Index("ix_quarantine_open", "venue", "symbol", "check_name", "released_at"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("venue", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("regime", String(32), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("signals", Text, nullable=False),  # JSON list
    Column("outcome", String(16), nullable=False),  # approved | denied | skipped | error
    Column("reason", Text, nullable=False),
    UniqueConstraint("run_id", "venue", "symbol", name="uq_decisions_run_symbol"),
)

order_intents = Table(
    "order_intents",
    metadata,
    Column("client_order_id", String(64), primary_key=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("venue", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("reference_price", MONEY, nullable=False),
    Column("stop_loss", MONEY),
    Column("take_profit", MONEY),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | resolved | abandoned
    Column("created_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("venue", String(64), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column(
        "client_order_id",
        String(64),
        ForeignKey("order_intents.client_order_id"),
        nullable=False,
        unique=True,
    ),
    Column("symbol", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("filled", MONEY, nullable=False),
    Column("average_price", MONEY),
    Column("status", String(24), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("venue", "order_id", name="uq_orders_venue_order_id"),
)

fills = Table(
    "fills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("venue", String(64), nullable=False),
    Column("trade_id", String(128), nullable=False),
    Column("order_id", String(128), nullable=False),
    Column("client_order_id", String(64), ForeignKey("order_intents.client_order_id"), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("price", MONEY, nullable=False),
    Column("fee", MONEY, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    UniqueConstraint("venue", "trade_id", name="uq_fills_venue_trade_id"),
)

positions = Table(
    "positions",
    metadata,
    Column("venue", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("amount", MONEY, nullable=False),
    Column("average_price", MONEY, nullable=False),
    Column("stop_loss", MONEY),
    Column("take_profit", MONEY),
    Column("opened_at_ms", BigInteger, nullable=False),
    Column("realized_pnl", MONEY, nullable=False),
    Column("cost_basis", MONEY, nullable=False),
    Column("is_open", Boolean, nullable=False),
)

balances = Table(
    "balances",
    metadata,
    Column("venue", String(64), primary_key=True),
    Column("asset", String(32), primary_key=True),
    Column("total", MONEY, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("venue", String(64), nullable=False),
    Column("counterparty", String(32), nullable=False),  # paper_wallet | exchange
    Column("status", String(16), nullable=False),  # clean | resolved | mismatch
    Column("diff_count", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

reconciliation_diffs = Table(
    "reconciliation_diffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reconciliation_id", Integer, ForeignKey("reconciliations.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("asset", String(32), nullable=False),
    Column("ledger_value", MONEY, nullable=False),
    Column("counterparty_value", MONEY, nullable=False),
    Column("action", String(32), nullable=False),
)
