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
    false,
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
    Column("attempts", Integer, nullable=False, server_default="1"),  # > 1: the stage was retried (0008)
    UniqueConstraint("run_id", "stage", name="uq_stage_runs_run_stage"),
)

# --- operations (0008): metrics per run and alerts with their cooldown --------
run_metrics = Table(
    "run_metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("label", String(64), nullable=False, server_default=""),  # e.g. the stage of a per-stage metric
    Column("value", Float, nullable=False),
    UniqueConstraint("run_id", "name", "label", name="uq_run_metrics_run_name_label"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("key", String(128), nullable=False),  # rule + subject: what the cooldown is about
    Column("rule", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("status", String(16), nullable=False),  # sent | suppressed (within the cooldown)
    Column("sinks", Text, nullable=False),  # comma-separated sinks that accepted it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_alerts_key_created", "key", "created_at"),
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
    Column("clean_cycles", Integer, nullable=False, server_default="0"),  # 0003: release after N clean cycles
    Index("ix_quarantine_open", "venue", "symbol", "check_name", "released_at"),
)

quality_runs = Table(  # 0003: one row per gate run
    "quality_runs",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), primary_key=True),
    Column("as_of_ms", BigInteger, nullable=False),
    Column("symbols", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("warned", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("blocked", Integer, nullable=False),
    Column("released", Integer, nullable=False),
    Column("polars_seconds", Float, nullable=False),
    Column("gx_status", String(16), nullable=False),  # passed | failed | error | off
    Column("gx_seconds", Float, nullable=False),
    Column("gx_failed", Text, nullable=False),  # JSON list of failed expectations
    Column("html_report", Text, nullable=False),
    Column("data_docs", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

quality_reports = Table(  # 0003: every symbol's score, verdict and failed checks per gate run
    "quality_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("venue", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("issues", Text, nullable=False),  # JSON list of [check, detail]
    UniqueConstraint("run_id", "venue", "symbol", name="uq_quality_reports_run_symbol"),
    Index("ix_quality_reports_symbol", "symbol", "run_id"),
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
    Column("regime_confidence", Float),  # 0004: the strategy engine's record
    Column("routes", Text),  # JSON [[strategy, weight], ...] chosen by the router
    Column("filter_outcome", String(16)),  # candidate | filtered | flat | error
    Column("filter_reason", Text),
    Column("error", Text),
    Column("data_hash", String(64)),
    Column("summary", Text),  # the engine's account of the score
    UniqueConstraint("run_id", "venue", "symbol", name="uq_decisions_run_symbol"),
    Index("ix_decisions_symbol", "symbol", "venue"),
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
    Column("status", String(16), nullable=False, index=True),  # OrderStatus: the order state machine (0006)
    Column("created_at", DateTime(timezone=True), nullable=False),
    # 0006 (issue 8): order types, state-machine bookkeeping, slippage guard and routing notes
    Column("limit_price", MONEY),
    Column("stop_price", MONEY),
    Column("time_in_force", String(8), nullable=False, server_default="GTC"),
    Column("expires_at_ms", BigInteger),
    Column("emulated", Boolean, nullable=False, server_default=false()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("status_reason", Text, nullable=False, server_default=""),
    Column("arrival_price", MONEY),
    Column("expected_slippage_bps", Float),
    Column("route", Text, nullable=False, server_default=""),
    Column("updated_at", DateTime(timezone=True)),
    Column("account", String(16), nullable=False, server_default="paper"),
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
    Column("slippage_bps", Float),  # realised: average fill vs the mid when sent, adverse positive (0006)
    UniqueConstraint("venue", "order_id", name="uq_orders_venue_order_id"),
)

order_events = Table(  # 0006: every event of every order, in order (the state machine's audit trail)
    "order_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_order_id", String(64), ForeignKey("order_intents.client_order_id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(24), nullable=False),  # EventKind
    Column("status", String(16), nullable=False),  # the OrderStatus it led to
    Column("detail", Text, nullable=False),
    Column("trade_id", String(128)),
    Column("amount", MONEY),
    Column("price", MONEY),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("client_order_id", "seq", name="uq_order_events_client_order_id_seq"),
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
    Column("account", String(16), nullable=False, server_default="paper"),
    UniqueConstraint("venue", "trade_id", name="uq_fills_venue_trade_id"),
)

positions = Table(
    "positions",
    metadata,
    Column("account", String(16), primary_key=True, server_default="paper"),  # paper | live
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
    Column("fees", MONEY, nullable=False, server_default="0"),
    Column("entry_amount", MONEY, nullable=False, server_default="0"),
    Column("high_water_mark", MONEY),
    Column("exits_taken", Integer, nullable=False, server_default="0"),
    Column("lots", Text, nullable=False, server_default="[]"),  # JSON [[amount, price], ...] under FIFO
)

balances = Table(
    "balances",
    metadata,
    Column("account", String(16), primary_key=True, server_default="paper"),
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
    Column("account", String(16), nullable=False, server_default="paper"),
)

reconciliation_diffs = Table(
    "reconciliation_diffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reconciliation_id", Integer, ForeignKey("reconciliations.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # missing_fill | phantom_order | unknown_order | *_drift | ...
    Column("asset", String(32), nullable=False),
    Column("expected", MONEY, nullable=False),  # what the ledger says
    Column("actual", MONEY, nullable=False),  # what the wallet says
    Column("resolution", String(64), nullable=False),  # the policy's action: imported | looked_up:* | halted ...
    Column("delta", MONEY, nullable=False, server_default="0"),  # actual − expected
    Column("reference", String(128), nullable=False, server_default=""),  # trade id / client order id
    Column("detail", Text, nullable=False, server_default=""),
)

halts = Table(
    "halts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(16), nullable=False, server_default="paper"),
    Column("reason", Text, nullable=False),
    Column("source", String(32), nullable=False),  # emergency_stop | reconciliation | operator
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("cleared_at", DateTime(timezone=True)),
    Column("cleared_by", String(64)),
    Index("ix_halts_active", "account", "cleared_at"),
)

risk_locks = Table(  # issue 7: protection locks (scope "*" = every venue / symbol); they survive restarts
    "risk_locks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("protection", String(32), nullable=False),
    Column("venue", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("since_ms", BigInteger, nullable=False),
    Column("until_ms", BigInteger, nullable=False),
    Column("run_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    UniqueConstraint("protection", "venue", "symbol", "until_ms", name="uq_risk_locks_scope_until"),
    Index("ix_risk_locks_until", "until_ms", "released_at"),
)
