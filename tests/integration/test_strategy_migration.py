"""Migration 0004 (the strategy engine's decision record) matches tables.py for the decisions table and
downgrades cleanly, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.database import alembic_config, make_engine, migrate

ADDED = {"regime_confidence", "routes", "filter_outcome", "filter_reason", "error", "data_hash", "summary"}


def test_decisions_columns_match_and_downgrade(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    migrate(engine)
    with engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert [d for d in drift if "decisions" in repr(d)] == []
    assert {c["name"] for c in inspect(engine).get_columns("decisions")} >= ADDED
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
    assert not ADDED & {c["name"] for c in inspect(engine).get_columns("decisions")}
    assert "ix_decisions_symbol" not in {i["name"] for i in inspect(engine).get_indexes("decisions")}
    migrate(engine)
    assert {c["name"] for c in inspect(engine).get_columns("decisions")} >= ADDED
    engine.dispose()
