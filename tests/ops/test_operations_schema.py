"""Migration 0008 matches tables.py for what it owns (stage attempts, run_metrics, alerts) and downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tradepipe.adapters.storage import tables as t
from tradepipe.adapters.storage.database import alembic_config, make_engine, migrate

OWNED = {"run_metrics", "alerts"}


def _owned_drift(diff: list[object]) -> list[object]:
    def touches(entry: object) -> bool:
        items = entry if isinstance(entry, list) else [entry]
        text = repr(items)
        return any(name in text for name in OWNED) or "attempts" in text

    return [entry for entry in diff if touches(entry)]


def test_migration_matches_the_declared_tables_and_downgrades(ledger_url: str) -> None:
    engine = make_engine(ledger_url)
    migrate(engine)
    with engine.connect() as conn:
        assert _owned_drift(compare_metadata(MigrationContext.configure(conn), t.metadata)) == []
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    tables = set(inspect(engine).get_table_names())
    assert not OWNED & tables
    assert "attempts" not in {c["name"] for c in inspect(engine).get_columns("stage_runs")}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= OWNED
    engine.dispose()
